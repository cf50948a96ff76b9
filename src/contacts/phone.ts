/** What an E.164 number looks like to Callwright: `+`, a country code not starting with 0, 7-15 digits in all. */
const E164 = /^\+[1-9]\d{6,14}$/;

export const PHONE_EXPECTED =
  'an E.164 number such as +14155550100 (or 0044…/00… with the international prefix)';

export interface PhoneOptions {
  /**
   * Country calling code (digits, e.g. `44`) for numbers written in national form. Without it a national
   * number is ambiguous (which country?) and is refused.
   */
  callingCode?: string;
}

/**
 * Normalises a phone number as people type it to E.164 (ITU-T E.164 §6), or returns undefined when that
 * cannot be done without guessing. Accepted: `+` or the `00` international prefix followed by the
 * number; with a calling code, national numbers too (one trunk prefix `0` dropped; for NANP, `1`).
 * Spaces, dots, dashes, slashes and parentheses are ignored; letters are refused.
 */
export function normalisePhone(raw: string, options: PhoneOptions = {}): string | undefined {
  const compact = raw.trim().replace(/[\s.\-/()]/g, '');
  if (!/^\+?\d+$/.test(compact)) return undefined;
  let e164: string;
  if (compact.startsWith('+')) e164 = compact;
  else if (compact.startsWith('00')) e164 = '+' + compact.slice(2);
  else if (options.callingCode && /^[1-9]\d{0,2}$/.test(options.callingCode)) {
    const national = nationalSignificant(compact, options.callingCode);
    if (national === undefined) return undefined;
    e164 = '+' + options.callingCode + national;
  } else return undefined;
  return E164.test(e164) ? e164 : undefined;
}

/** Drops the trunk prefix: `1` within NANP, where exactly 10 digits must remain; `0` elsewhere. */
function nationalSignificant(national: string, callingCode: string): string | undefined {
  if (callingCode !== '1') return national.startsWith('0') ? national.slice(1) : national;
  const digits = national.length === 11 && national.startsWith('1') ? national.slice(1) : national;
  return digits.length === 10 ? digits : undefined;
}

export function isE164(value: string): boolean {
  return E164.test(value);
}
