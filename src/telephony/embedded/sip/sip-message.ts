/**
 * SIP messages as the embedded stack sees them: an ordered header list (names canonicalised, compact
 * forms expanded, RFC 3261 §7.3.3), the parsed fields every layer needs, and serialisation.
 */
import { parseCSeq, parseNameAddr, parseVia, type NameAddr, type Via } from './sip-uri.js';

/** RFC 3261 §7.3.3 compact forms, plus RFC 3515/3892/6665 ones we read. */
const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  r: 'refer-to',
  b: 'referred-by',
  o: 'event',
  u: 'allow-events',
};

const CANONICAL: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'max-forwards': 'Max-Forwards',
};

/** Names seen so far: every header add and lookup canonicalises, so each spelling is worked out once. */
const canonicalCache = new Map<string, string>();
/** Names come off the wire: past this many spellings, compute without caching rather than grow. */
const CANONICAL_CACHE_MAX = 512;

export function canonicalName(name: string): string {
  const cached = canonicalCache.get(name);
  if (cached !== undefined) return cached;
  const lower = name.toLowerCase();
  const full = COMPACT[lower] ?? lower;
  const canonical =
    CANONICAL[full] ?? full.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
  if (canonicalCache.size < CANONICAL_CACHE_MAX) canonicalCache.set(name, canonical);
  return canonical;
}

export class SipHeaders {
  private readonly list: Array<[string, string]> = [];

  add(name: string, value: string): void {
    this.list.push([canonicalName(name), value]);
  }

  /** Replaces every header of that name with one value (or removes them when undefined). */
  set(name: string, value: string | undefined): void {
    const n = canonicalName(name);
    const idx = this.list.findIndex(([k]) => k === n);
    for (let i = this.list.length - 1; i >= 0; i--)
      if ((this.list[i] as [string, string])[0] === n) this.list.splice(i, 1);
    if (value !== undefined) this.list.splice(idx < 0 ? this.list.length : idx, 0, [n, value]);
  }

  /** Replaces the first header of that name (the top Via when stamping received/rport). */
  replaceFirst(name: string, value: string): void {
    const n = canonicalName(name);
    const entry = this.list.find(([k]) => k === n);
    if (entry) entry[1] = value;
  }

  get(name: string): string | undefined {
    const n = canonicalName(name);
    return this.list.find(([k]) => k === n)?.[1];
  }

  getAll(name: string): string[] {
    const n = canonicalName(name);
    return this.list.filter(([k]) => k === n).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  entries(): ReadonlyArray<readonly [string, string]> {
    return this.list;
  }

  prepend(name: string, value: string): void {
    this.list.unshift([canonicalName(name), value]);
  }

  clone(): SipHeaders {
    const h = new SipHeaders();
    for (const [k, v] of this.list) h.list.push([k, v]);
    return h;
  }
}

interface Base {
  headers: SipHeaders;
  body: string;
  /** Parsed once at receive time; present on every accepted message. */
  callId: string;
  cseq: { seq: number; method: string };
  from: NameAddr;
  to: NameAddr;
  /** All Via values, top first. */
  vias: Via[];
}

export interface SipRequest extends Base {
  kind: 'request';
  method: string;
  uri: string;
}

export interface SipResponse extends Base {
  kind: 'response';
  status: number;
  reason: string;
}

export type SipMessage = SipRequest | SipResponse;

function serializeHeaders(headers: SipHeaders, body: string): string {
  let out = '';
  for (const [k, v] of headers.entries()) {
    if (k === 'Content-Length') continue;
    out += `${k}: ${v}\r\n`;
  }
  return `${out}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

export function serializeRequest(method: string, uri: string, headers: SipHeaders, body = ''): string {
  return `${method} ${uri} SIP/2.0\r\n${serializeHeaders(headers, body)}`;
}

export function serializeResponse(status: number, reason: string, headers: SipHeaders, body = ''): string {
  return `SIP/2.0 ${status} ${reason}\r\n${serializeHeaders(headers, body)}`;
}

/** Refreshes the parsed fields from the header list (after building or editing a message). */
export function parsedFields(headers: SipHeaders): Omit<Base, 'headers' | 'body'> | string {
  const callId = headers.get('call-id');
  const cseqText = headers.get('cseq');
  const fromText = headers.get('from');
  const toText = headers.get('to');
  const viaTexts = headers.getAll('via');
  if (!callId || /\s/.test(callId.trim())) return 'Call-ID missing or malformed';
  if (!cseqText) return 'CSeq missing';
  const cseq = parseCSeq(cseqText);
  if (!cseq) return `CSeq malformed: ${cseqText}`;
  if (!fromText) return 'From missing';
  const from = parseNameAddr(fromText);
  if (!from) return 'From malformed';
  if (!toText) return 'To missing';
  const to = parseNameAddr(toText);
  if (!to) return 'To malformed';
  if (viaTexts.length === 0) return 'Via missing';
  const vias: Via[] = [];
  for (const v of viaTexts) {
    const via = parseVia(v);
    if (!via) return `Via malformed: ${v}`;
    vias.push(via);
  }
  return { callId: callId.trim(), cseq, from, to, vias };
}

const REASONS: Record<number, string> = {
  100: 'Trying',
  180: 'Ringing',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'Version Not Supported',
  600: 'Busy Everywhere',
  603: 'Decline',
};

export function reasonFor(status: number): string {
  return REASONS[status] ?? (status < 300 ? 'OK' : 'Error');
}
