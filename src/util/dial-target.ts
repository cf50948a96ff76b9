/**
 * Where a call may be sent, as configured text: the phone-number rule and the SIP-URI rule combined,
 * so config and agent schemas judge a literal number or URI exactly as dialling later will.
 */
import { isE164, parsePhoneNumber, phoneExpected } from './phone-number.js';
import { hasSipScheme, isSipUri, SIP_URI_EXPECTED } from './sip-uri-rule.js';

/** A number in E.164 or a SIP URI: what is dialled as it stands. */
export function isDialTarget(text: string): boolean {
  return isE164(text) || isSipUri(text);
}

/**
 * A transfer target as written in an agent: a template or a named reference (`sales`, `user:alice`,
 * `line:front`) is resolved at call time; a literal number (`+…`) or URI (`sip:…`) must already be one
 * the phone or SIP-URI rule accepts, so a typo is refused on save instead of failing the caller's transfer.
 */
export function isTransferTargetText(text: string): boolean {
  const t = text.trim();
  if (t.includes('{{')) return true;
  if (t.startsWith('+')) return parsePhoneNumber(t).ok;
  if (hasSipScheme(t)) return isSipUri(t);
  return t.length > 0;
}

/** A recipient template: anything with a `{{ }}` placeholder is judged once rendered; literal text now. */
export function isPhoneTemplate(text: string): boolean {
  return text.includes('{{') || parsePhoneNumber(text).ok;
}

export const PHONE_TEMPLATE_EXPECTED = `a phone number (${phoneExpected()}) or a template such as {{ call.remote }}`;

export const TRANSFER_TARGET_EXPECTED =
  `a named target (sales), user:/line:/ring_group:<name>, a phone number (${phoneExpected()}) ` +
  `or ${SIP_URI_EXPECTED}`;
