import { describe, expect, it } from 'vitest';
import { normalisePhone, type PhoneOptions } from '../../../src/contacts/phone.js';
import { isIanaTimeZone } from '../../../src/contacts/timezone.js';

describe('normalisePhone', () => {
  it.each<[string, PhoneOptions, string]>([
    ['+14155550100', {}, '+14155550100'],
    ['+1 (415) 555-0100', {}, '+14155550100'],
    ['+44 20 7183 8750', {}, '+442071838750'],
    ['0044 20 7183 8750', {}, '+442071838750'],
    ['+33.1.44.55.66.77', {}, '+33144556677'],
    ['020 7183 8750', { callingCode: '44' }, '+442071838750'],
    ['(415) 555-0100', { callingCode: '1' }, '+14155550100'],
    ['1-415-555-0100', { callingCode: '1' }, '+14155550100'],
  ])('%s %j → %s', (raw, options, expected) => {
    expect(normalisePhone(raw, options)).toBe(expected);
  });

  it.each<[string, PhoneOptions, string]>([
    ['4155550100', {}, 'a national number without a calling code is ambiguous'],
    ['020 7183 8750', {}, 'a trunk prefix without a calling code is ambiguous'],
    ['555-0100', { callingCode: '1' }, 'NANP needs ten digits'],
    ['+0441234567', {}, 'country codes never start with 0'],
    ['+1234', {}, 'too short'],
    ['+1234567890123456', {}, 'too long (E.164 allows 15 digits)'],
    ['+1 415 CALL NOW', {}, 'letters'],
    ['', {}, 'empty'],
  ])('refuses %s %j (%s)', (raw, options) => {
    expect(normalisePhone(raw, options)).toBeUndefined();
  });
});

describe('isIanaTimeZone', () => {
  it.each(['Europe/Paris', 'America/New_York', 'UTC', 'Asia/Kolkata'])('accepts %s', (tz) => {
    expect(isIanaTimeZone(tz)).toBe(true);
  });
  it.each(['Mars/Base', 'Paris', '', ' UTC', 'GMT+25'])('refuses %j', (tz) => {
    expect(isIanaTimeZone(tz)).toBe(false);
  });
});
