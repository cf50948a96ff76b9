import type { DtmfMethod, Party } from '../port.js';

/**
 * Small SIP text helpers for the freeswitch backend: name-addr parsing (RFC 3261 §20.10 / §25.1) and
 * application/dtmf-relay INFO bodies (the de-facto format most trunks and PBXes send).
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

/** Reads one digit from an `application/dtmf-relay` body (`Signal=5\r\nDuration=160`). */
export function parseDtmfRelay(body: string | undefined): { digit: string; durationMs?: number } | undefined {
  if (!body) return undefined;
  const signal = /^\s*Signal\s*=\s*([0-9A-Da-d*#]|1[01]|1[2-5])\s*$/im.exec(body);
  if (!signal?.[1]) return undefined;
  // Some senders use event codes 10/11 for * and # (RFC 4733 §3.2 numbering).
  const codes: Record<string, string> = { '10': '*', '11': '#', '12': 'A', '13': 'B', '14': 'C', '15': 'D' };
  const digit = codes[signal[1]] ?? signal[1].toUpperCase();
  const duration = /^\s*Duration\s*=\s*(\d+)\s*$/im.exec(body);
  return duration?.[1] ? { digit, durationMs: Number(duration[1]) } : { digit };
}

export function dtmfRelayBody(digit: string, durationMs: number): string {
  return `Signal=${digit}\r\nDuration=${durationMs}\r\n`;
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

const DIGITS = /^[0-9A-Da-d*#wW]+$/;

/** Refuses digit strings FreeSWITCH's send_dtmf would mangle, naming what is accepted. */
export function assertDtmfDigits(digits: string): void {
  if (!DIGITS.test(digits)) {
    throw new Error(`digits: got ${JSON.stringify(digits)}, expected 0-9, A-D, *, # and w/W pauses`);
  }
}
