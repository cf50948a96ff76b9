import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { CallwrightError } from '../../../src/errors.js';

function loadError(env: Record<string, string>): CallwrightError {
  try {
    loadConfig({ env });
  } catch (err) {
    if (err instanceof CallwrightError) return err;
    throw err;
  }
  throw new Error('expected a config error');
}

describe('contacts.default_country', () => {
  it('is empty by default (every number needs + and its country code)', () => {
    expect(loadConfig({ env: {} }).contacts.default_country).toBe('');
  });

  it('takes an ISO 3166-1 alpha-2 code', () => {
    const config = loadConfig({ env: { CALLWRIGHT_CONTACTS_DEFAULT_COUNTRY: 'GB' } });
    expect(config.contacts.default_country).toBe('GB');
  });

  it.each(['UK', 'gb', 'GBR', '44'])('refuses %j naming the key, the value and what is accepted', (code) => {
    const err = loadError({ CALLWRIGHT_CONTACTS_DEFAULT_COUNTRY: code });
    expect(err.issues).toEqual([
      {
        field: 'contacts.default_country',
        value: code,
        expected: 'an ISO 3166-1 alpha-2 country code such as US, GB or FR (or empty)',
      },
    ]);
  });
});

describe('sip.trunks[].caller_id follows the phone rule', () => {
  it('refuses a caller id that is not a valid E.164 number, naming the trunk field', () => {
    const trunk = JSON.stringify([{ name: 't', host: '127.0.0.1', caller_id: '+1234' }]);
    const err = loadError({ CALLWRIGHT_SIP_TRUNKS: trunk });
    expect(err.issues).toEqual([
      {
        field: 'sip.trunks.0.caller_id',
        value: '+1234',
        expected: 'a valid phone number in E.164 form (+ and country code, e.g. +14155550123), or empty',
      },
    ]);
  });
});

describe('calls.demo_transfer_target follows the phone and SIP-URI rules', () => {
  it.each(['', '+14155550123', 'sip:desk@pbx.example.com'])('accepts %j', (target) => {
    const config = loadConfig({ env: { CALLWRIGHT_CALLS_DEMO_TRANSFER_TARGET: target } });
    expect(config.calls.demo_transfer_target).toBe(target);
  });

  it('refuses a target that is neither, naming the key, the value and both accepted forms', () => {
    const err = loadError({ CALLWRIGHT_CALLS_DEMO_TRANSFER_TARGET: 'sip:desk@pbx example.com' });
    expect(err.issues).toEqual([
      {
        field: 'calls.demo_transfer_target',
        value: 'sip:desk@pbx example.com',
        expected:
          'a phone number in E.164 form (+ and country code, e.g. +14155550123), a SIP URI such as sip:alice@pbx.example.com (RFC 3261 §19.1), or empty',
      },
    ]);
  });
});

describe('calls.default_timezone follows the time-zone rule', () => {
  it('refuses a zone the IANA database does not know, naming the key, the value and what is accepted', () => {
    const err = loadError({ CALLWRIGHT_CALLS_DEFAULT_TIMEZONE: 'Mars/Base' });
    expect(err.issues).toEqual([
      {
        field: 'calls.default_timezone',
        value: 'Mars/Base',
        expected: 'an IANA time zone such as Europe/Paris, America/New_York or UTC',
      },
    ]);
  });
});

describe('SMS sender numbers follow the phone rule', () => {
  it.each([
    ['CALLWRIGHT_SMS_TWILIO_FROM', 'sms.twilio.from'],
    ['CALLWRIGHT_SMS_TWILIO_WHATSAPP_FROM', 'sms.twilio.whatsapp_from'],
    ['CALLWRIGHT_SMS_HTTP_FROM', 'sms.http.from'],
  ])('%s refuses a number outside its numbering plan, naming %s', (env, field) => {
    const err = loadError({ [env]: '+15555550100' });
    expect(err.issues).toEqual([
      {
        field,
        value: '+15555550100',
        expected: 'a valid phone number in E.164 form (+ and country code, e.g. +14155550123), or empty',
      },
    ]);
    expect(() => loadConfig({ env: { [env]: '+14155550111' } })).not.toThrow();
  });
});
