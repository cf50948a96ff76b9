import type { DtmfMethod, Party } from '../port.js';

/**
 * Small SIP text helpers for the freeswitch backend: name-addr parsing (RFC 3261 §20.10 / §25.1). Outcome
 * rules (sipfrag, dial and REFER outcomes), INFO DTMF bodies and digit strings are shared with the embedded
 * backend (src/telephony/sip/).
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

/** Maps FreeSWITCH's DTMF-Source header to the port's method (INBAND_AUDIO counts as RTP media). */
export function dtmfMethodFromSource(source: string | undefined): DtmfMethod {
  return source && /INFO/i.test(source) ? 'info' : 'rfc4733';
}

/** Lower-cased copy of the custom (X-) headers of a request. */
export function customHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (/^x-/i.test(k)) out[k.toLowerCase()] = String(v);
  }
  return out;
}
