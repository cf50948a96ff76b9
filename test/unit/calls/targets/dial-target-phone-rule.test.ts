import { describe, expect, it } from 'vitest';
import { classifyTarget } from '../../../../src/telephony/port.js';

describe('dial targets follow the phone-number rule', () => {
  it('dials +1234, which the 2-15 digit pattern let through to the trunk, nowhere: it is refused', () => {
    expect(() => classifyTarget('+1234')).toThrow(
      'target: got "+1234", expected a phone number (+ and country code, e.g. +14155550123) or a SIP URI',
    );
  });

  it('refuses a number outside its numbering plan (+1 555 …)', () => {
    expect(() => classifyTarget('+15555550100')).toThrow(/expected a phone number/);
  });

  it('dials a number written with spaces and punctuation in its E.164 form', () => {
    expect(classifyTarget(' +1 (415) 555-0123 ')).toEqual({ kind: 'e164', number: '+14155550123' });
  });
});
