import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { isE164, isPhoneCountry, parsePhoneNumber, phoneExpected } from '../../../src/util/phone-number.js';
import { check } from '../../../src/util/validate.js';

/** The options the CSV import takes: a country calling code for national numbers. */
interface PhoneOptions {
  callingCode?: string;
}

function normalisePhone(raw: string, options: PhoneOptions): string | undefined {
  const parsed = parsePhoneNumber(
    raw,
    options.callingCode ? { defaultCallingCode: options.callingCode } : {},
  );
  return parsed.ok ? parsed.e164 : undefined;
}

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

describe('parsePhoneNumber: one rule per numbering plan', () => {
  it.each([
    ['020 7183 8750', 'GB', '+442071838750'],
    ['0044 20 7183 8750', 'GB', '+442071838750'],
    ['(415) 555-0123', 'US', '+14155550123'],
    ['011 44 20 7183 8750', 'US', '+442071838750'],
    ['01 44 55 66 77', 'FR', '+33144556677'],
    ['+1 415 555 0123', 'GB', '+14155550123'],
  ])('reads %s as a national number of %s', (raw, country, e164) => {
    expect(parsePhoneNumber(raw, country)).toEqual({ ok: true, e164 });
  });

  it('refuses a number whose area code the plan does not assign (+1 555 …), which the old 7-15 digit rule let in', () => {
    const r = parsePhoneNumber('+15555550100');
    expect(r).toEqual({ ok: false, reason: 'is not a number in the numbering plan of +1' });
  });

  it('says why a national number without a default country is refused', () => {
    expect(parsePhoneNumber('4155550123')).toEqual({
      ok: false,
      reason: 'is a national number, and no default country says which country',
    });
  });

  it('ignores a default country that is not an ISO 3166-1 alpha-2 code', () => {
    expect(parsePhoneNumber('020 7183 8750', 'gb').ok).toBe(false);
    expect(isPhoneCountry('XX')).toBe(false);
    expect(isPhoneCountry('GB')).toBe(true);
  });

  it('names the default country in what it accepts', () => {
    expect(phoneExpected('GB')).toBe('+ and country code, e.g. +14155550123, or a national number for GB');
    expect(phoneExpected()).toBe('+ and country code, e.g. +14155550123');
  });
});

describe('isE164 and the e164 schema format apply the same rule', () => {
  const Schema = Type.Object({ phone: Type.String({ format: 'e164' }) });
  it.each([
    ['+14155550100', true],
    ['+442071838750', true],
    ['+1234', false],
    ['+15555550100', false],
    ['+1 415 555 0100', false],
    ['14155550100', false],
  ])('%s → %s', (phone, valid) => {
    expect(isE164(phone)).toBe(valid);
    expect(check(Schema, { phone }).length === 0).toBe(valid);
  });

  it('a refused number names the field, the value and what is accepted', () => {
    expect(check(Schema, { phone: '+1234' }, 'body')).toEqual([
      {
        field: 'body.phone',
        value: '+1234',
        expected: 'a valid phone number in E.164 form (+ and country code, e.g. +14155550123)',
      },
    ]);
  });
});
