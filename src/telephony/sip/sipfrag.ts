/**
 * message/sipfrag bodies (RFC 3420), as carried by the NOTIFYs of a REFER subscription (RFC 3515 §2.4.5).
 */

export interface SipfragStatus {
  status: number;
  /** Reason phrase of the status line; '' when the sender left it out. */
  reason: string;
}

/**
 * The status line of a sipfrag body, or undefined when the body does not start with one.
 *
 * RFC 3420 §2: `sipfrag = [ start-line ] *message-header [ CRLF [ message-body ] ]`, so a status line is
 * only ever the first line; a `SIP/2.0 200` further down is a header value or body text, not a status.
 * RFC 3261 §7.1: the SIP-Version is case-insensitive; §7.2 / §25.1: Status-Code is three digits 100-699.
 */
export function parseSipfrag(body: string | undefined): SipfragStatus | undefined {
  if (!body) return undefined;
  const first = body.replace(/^[\r\n\t ]+/, '').split(/\r?\n/, 1)[0] ?? '';
  const m = /^SIP\/2\.0[ \t]+([1-6]\d\d)(?:[ \t]+(.*?))?[ \t]*$/i.exec(first);
  if (!m) return undefined;
  return { status: Number(m[1]), reason: m[2] ?? '' };
}
