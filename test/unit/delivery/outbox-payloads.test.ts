import { describe, expect, it } from 'vitest';
import { decode, decodeValue } from '../../../src/delivery/outbox-payloads.js';

const action = {
  agent_id: 'agt_1',
  attachment_id: 'att_1',
  action_name: 'crm',
  contact_id: null,
  scope: { call: { id: 'call_1' } },
};

describe('outbox payload decode', () => {
  it('decodes each kind to its typed payload', () => {
    expect(decode('action', JSON.stringify(action))).toEqual({
      ok: true,
      value: { kind: 'action', payload: action },
    });
    const mail = { voicemail_id: 'vm_1', to: ['a@example.com'], subject: 'New voicemail', text: 'Hi' };
    expect(decode('voicemail-email', JSON.stringify(mail))).toMatchObject({
      ok: true,
      value: { payload: mail },
    });
    const http = { url: 'https://example.com/hook', body: { a: 1 } };
    expect(decode('http', JSON.stringify(http))).toMatchObject({ ok: true, value: { kind: 'http' } });
  });

  it('names the missing or wrong field, its value and what is accepted', () => {
    const { agent_id: _drop, ...noAgent } = action;
    const r = decode('action', JSON.stringify(noAgent));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(
      /^stored action payload does not match its type: payload\.agent_id: missing/,
    );

    const bad = decodeValue('voicemail-email', {
      voicemail_id: 'vm_1',
      to: 'a@example.com',
      subject: '',
      text: '',
    });
    expect(!bad.ok && bad.error).toContain('payload.to: got "a@example.com", expected array');

    const url = decodeValue('http', { url: 'not a url', body: null });
    expect(!url.ok && url.error).toContain('payload.url: got "not a url", expected an absolute URL');
  });

  it('refuses an unknown kind and text that is not JSON, without throwing', () => {
    expect(decode('fax', '{}')).toEqual({
      ok: false,
      error:
        'kind: got "fax", expected one of "action", "voicemail-email", "http", "recording-upload", "recording-ready"',
    });
    const r = decode('http', '{"url": ');
    expect(!r.ok && r.error).toMatch(/^payload: got "\{\\"url\\": ", expected JSON text/);
  });
});
