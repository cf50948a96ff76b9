/**
 * The one SIP-URI rule: what Callwright accepts where a SIP URI is configured or dialled (API bodies,
 * dial targets, lines, users, config). It follows the SIP-URI / SIPS-URI grammar of RFC 3261 §25.1
 * (scheme, optional userinfo, host, optional port, `;` parameters, `?` headers) rather than "anything
 * after sip:", so a URI the signaling layer could not put in a Request-URI is refused when it is saved.
 * Scheme and host are case-insensitive (RFC 3261 §19.1.4); the rule does not rewrite what it accepts.
 */

// RFC 3261 §25.1: unreserved = alphanum / mark; escaped = "%" HEXDIG HEXDIG.
const UNRESERVED = "A-Za-z0-9\\-_.!~*'()";
const ESCAPED = '%[0-9A-Fa-f]{2}';
/** user = 1*( unreserved / escaped / user-unreserved ), user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/" */
const USER = `(?:[${UNRESERVED}&=+$,;?/]|${ESCAPED})+`;
/** password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
const PASSWORD = `(?:[${UNRESERVED}&=+$,]|${ESCAPED})*`;
/** hostname = *( domainlabel "." ) toplabel [ "." ]; labels are alphanumerics with inner hyphens. */
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const HOSTNAME = `(?:${LABEL}\\.)*${LABEL}\\.?`;
const IPV6_REFERENCE = '\\[[0-9A-Fa-f:.]+\\]';
const HOST = `(?:${HOSTNAME}|${IPV6_REFERENCE})`;
const PORT = '(?::(\\d{1,5}))?';
/** uri-parameter: ";" pname [ "=" pvalue ], paramchar = param-unreserved / unreserved / escaped */
const PARAMCHAR = `(?:[${UNRESERVED}\\[\\]/:&+$]|${ESCAPED})`;
const PARAMS = `(?:;${PARAMCHAR}+(?:=${PARAMCHAR}+)?)*`;
/** headers = "?" header *( "&" header ), header = hname "=" hvalue */
const HCHAR = `(?:[${UNRESERVED}\\[\\]/?:+$]|${ESCAPED})`;
const HEADERS = `(?:\\?${HCHAR}+=${HCHAR}*(?:&${HCHAR}+=${HCHAR}*)*)?`;

const SIP_URI = new RegExp(`^sips?:(?:${USER}(?::${PASSWORD})?@)?(${HOST})${PORT}${PARAMS}${HEADERS}$`, 'i');

export const SIP_URI_EXPECTED = 'a SIP URI such as sip:alice@pbx.example.com (RFC 3261 §19.1)';

/** True when `value` is a `sip:` or `sips:` URI by the RFC 3261 §25.1 grammar (no surrounding spaces). */
export function isSipUri(value: string): boolean {
  const m = SIP_URI.exec(value);
  if (!m) return false;
  const port = m[2];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}

/** True when `value` starts with a SIP scheme, i.e. it is meant as a SIP URI (valid or not). */
export function hasSipScheme(value: string): boolean {
  return /^sips?:/i.test(value);
}
