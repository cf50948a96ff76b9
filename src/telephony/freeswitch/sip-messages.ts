import type { DialOutcome, DtmfMethod, Party } from '../port.js';

/**
 * Small SIP text helpers for the freeswitch backend: name-addr parsing (RFC 3261 §20.10 / §25.1),
 * message/sipfrag status lines (RFC 3420, as carried in REFER NOTIFYs per RFC 3515 §2.4.5). INFO DTMF
 * bodies and digit strings are shared with the embedded backend (src/telephony/sip/).
 */

/** Parses `"Alice" <sip:+1415@host;user=phone>;tag=x` or `sip:bob@host;tag=y` into a Party. */
export function parseNameAddr(value: string | undefined): Party {
  if (!value) return { uri: '', user: '' };
  const v = value.trim();
  let displayName: string | undefined;
  let uri: string;
  const angle = /^(?:"((?:[^"\\]|\\.)*)"|([^<]*?))\s*<([^>]*)>/.exec(v);
  if (angle) {
    const name = (angle[1] ?? angle[2] ?? '').trim();
    if (name) displayName = name.replace(/\\(.)/g, '$1');
    uri = (angle[3] ?? '').trim();
  } else {
    // addr-spec without brackets: header parameters follow the first ';' (RFC 3261 §20.10).
    uri = v.split(';')[0]?.trim() ?? '';
  }
  const userMatch = /^sips?:([^@;]+)@/i.exec(uri);
  const party: Party = { uri, user: userMatch?.[1] ?? '' };
  if (displayName) party.displayName = displayName;
  return party;
}

/** The status of a sipfrag body's status line (`SIP/2.0 200 OK`), or undefined when there is none. */
export function sipfragStatus(body: string | undefined): { status: number; reason: string } | undefined {
  if (!body) return undefined;
  const m = /^SIP\/2\.0\s+(\d{3})\s*([^\r\n]*)/m.exec(body);
  if (!m) return undefined;
  return { status: Number(m[1]), reason: (m[2] ?? '').trim() };
}

/** Maps FreeSWITCH's DTMF-Source header to the port's method (INBAND_AUDIO counts as RTP media). */
export function dtmfMethodFromSource(source: string | undefined): DtmfMethod {
  return source && /INFO/i.test(source) ? 'info' : 'rfc4733';
}

/**
 * Maps a failed INVITE's final status to a typed outcome. 486 Busy Here / 600 Busy Everywhere are busy
 * (RFC 3261 §21.4.24, §21.6.1); 408/480 and a 487 that follows our own CANCEL after the ring timeout
 * are no-answer; a 487 after the caller's abort is cancelled; everything else is rejected with its status.
 */
export function outcomeForStatus(
  status: number,
  reason: string | undefined,
  why: 'ring-timeout' | 'aborted' | undefined,
): DialOutcome {
  if (status === 486 || status === 600) return { outcome: 'busy', status };
  if (status === 487 && why === 'aborted') return { outcome: 'cancelled' };
  if (status === 408 || status === 480 || (status === 487 && why === 'ring-timeout')) {
    return { outcome: 'no-answer', status };
  }
  return reason ? { outcome: 'rejected', status, reason } : { outcome: 'rejected', status };
}

/** Lower-cased copy of the custom (X-) headers of a request. */
export function customHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (/^x-/i.test(k)) out[k.toLowerCase()] = String(v);
  }
  return out;
}
