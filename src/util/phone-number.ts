/**
 * The one phone-number rule: what Callwright accepts as a phone number and how it becomes E.164
 * (ITU-T E.164). Every entry point (API bodies, CSV import, CLI, config, call targets, SMS, CRM) goes
 * through this module, so a number one of them accepts the others accept too.
 *
 * Built on libphonenumber-js with the `max` metadata: `max` carries each country's number-type patterns,
 * so a number is checked against its numbering plan (an unassigned area code such as +1 555 is refused),
 * where `min` only checks lengths. A server can afford the larger metadata; letting numbers that can
 * never ring into contacts and call queues cannot be undone later.
 */
import {
  isSupportedCountry,
  parsePhoneNumberFromString,
  validatePhoneNumberLength,
  type CountryCode,
} from 'libphonenumber-js/max';

/** Where a national number (no `+`) belongs: an ISO 3166-1 alpha-2 country, or a bare calling code. */
export interface PhoneContext {
  /** ISO 3166-1 alpha-2 code (GB, US, FR …) of the numbering plan for national numbers. */
  defaultCountry?: string;
  /** Country calling code (digits, e.g. `44`) used when no country is given. */
  defaultCallingCode?: string;
}

export type PhoneParse = { ok: true; e164: string } | { ok: false; reason: string };

/** Characters people type inside numbers; anything else (letters, `*`, `#`, extensions) is refused. */
const PHONE_CHARS = /^\+?[\d\s.\-/()]+$/;

const E164_SHAPE = /^\+[1-9]\d{1,14}$/;

function context(ctx?: string | PhoneContext): PhoneContext {
  return typeof ctx === 'string' ? { defaultCountry: ctx } : (ctx ?? {});
}

/** True when `code` is an ISO 3166-1 alpha-2 country whose numbering plan is known. */
export function isPhoneCountry(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code);
}

export const PHONE_COUNTRY_EXPECTED = 'an ISO 3166-1 alpha-2 country code such as US, GB or FR';

/** What is accepted, as an error message says it. */
export function phoneExpected(ctx?: string | PhoneContext): string {
  const c = context(ctx);
  const base = '+ and country code, e.g. +14155550123';
  if (c.defaultCountry && isPhoneCountry(c.defaultCountry))
    return `${base}, or a national number for ${c.defaultCountry}`;
  if (c.defaultCallingCode) return `${base}, or a national number for +${c.defaultCallingCode}`;
  return base;
}

/**
 * Parses a number as people write it and returns its E.164 form when it is a valid number of its
 * numbering plan. `+…` and the `00` international prefix are read everywhere; a national number needs a
 * default country (or calling code), whose trunk prefix (`0`, NANP `1`) and IDD (`011`) are understood.
 */
export function parsePhoneNumber(input: string, ctx?: string | PhoneContext): PhoneParse {
  const c = context(ctx);
  const text = input.trim();
  if (!text) return { ok: false, reason: 'is empty' };
  if (!PHONE_CHARS.test(text))
    return { ok: false, reason: 'contains characters other than digits, +, spaces, . - / ( )' };
  const country =
    c.defaultCountry && isPhoneCountry(c.defaultCountry) ? (c.defaultCountry as CountryCode) : undefined;
  const callingCode = country ? undefined : c.defaultCallingCode;
  // Without a numbering plan to tell us its IDD, `00` is the ITU-recommended international prefix.
  const written = !country && text.startsWith('00') ? '+' + text.slice(2) : text;
  if (!written.startsWith('+') && !country && !callingCode) {
    return { ok: false, reason: 'is a national number, and no default country says which country' };
  }
  const options = {
    ...(country ? { defaultCountry: country } : {}),
    ...(callingCode ? { defaultCallingCode: callingCode } : {}),
  };
  const parsed = parsePhoneNumberFromString(written, { ...options, extract: false });
  if (!parsed) return { ok: false, reason: lengthReason(written, options) ?? 'is not a phone number' };
  if (!parsed.isValid()) {
    const why = lengthReason(written, options);
    const plan = parsed.country ?? `+${parsed.countryCallingCode}`;
    return { ok: false, reason: why ?? `is not a number in the numbering plan of ${plan}` };
  }
  return { ok: true, e164: parsed.number };
}

function lengthReason(
  text: string,
  options: { defaultCountry?: CountryCode; defaultCallingCode?: string },
): string | undefined {
  switch (validatePhoneNumberLength(text, options)) {
    case 'TOO_SHORT':
      return 'is too short';
    case 'TOO_LONG':
      return 'is too long';
    case 'INVALID_COUNTRY':
      return 'has no known country calling code';
    case 'INVALID_LENGTH':
      return 'has a length no number of that country has';
    default:
      return undefined;
  }
}

/** True when `value` is already a valid number written in E.164 (`+`, digits only). */
export function isE164(value: string): boolean {
  if (!E164_SHAPE.test(value)) return false;
  const p = parsePhoneNumber(value);
  return p.ok && p.e164 === value;
}
