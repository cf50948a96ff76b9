/**
 * Hand-written parsers for the header values the hot path needs (URI, name-addr, Via, CSeq, auth params).
 * sip.js's PEG grammar rebuilds its constant tables on every call (~100-200 µs per header measured here),
 * which caps a server near 1,000 messages/s; these cover RFC 3261 §25.1 for what we read, and anything
 * they refuse is answered 400.
 */

export type Params = Record<string, string | null>;

export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel';
  user: string;
  host: string;
  port?: number;
  params: Params;
}

export interface NameAddr {
  displayName?: string;
  uri: SipUri;
  /** The URI text as written (inside <> when present). */
  uriText: string;
  params: Params;
}

export interface Via {
  transport: string;
  host: string;
  port?: number;
  params: Params;
  branch?: string;
}

const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;

export function isToken(s: string): boolean {
  return TOKEN.test(s);
}

/** Splits `;a=b;c` into params, lower-casing names (RFC 3261 §7.3.1: parameter names are case-insensitive). */
export function parseParams(text: string): Params | undefined {
  const params: Params = {};
  if (!text) return params;
  for (const part of text.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (!isToken(name)) return undefined;
    params[name] = eq < 0 ? null : p.slice(eq + 1).trim();
  }
  return params;
}

function parseHostPort(text: string): { host: string; port?: number } | undefined {
  let host: string;
  let rest: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return undefined;
    host = text.slice(0, end + 1);
    rest = text.slice(end + 1);
  } else {
    const colon = text.indexOf(':');
    host = colon < 0 ? text : text.slice(0, colon);
    rest = colon < 0 ? '' : text.slice(colon);
  }
  if (!host || !/^[A-Za-z0-9.\-[\]:]+$/.test(host)) return undefined;
  if (!rest) return { host };
  if (!/^:\d{1,5}$/.test(rest)) return undefined;
  const port = Number(rest.slice(1));
  if (port < 1 || port > 65535) return undefined;
  return { host, port };
}

/**
 * Parses `sip:user@host:port;params?headers` (headers ignored), `sips:` and `tel:`. The user part may hold
 * `?`, `;` and `/` (RFC 3261 §25.1 user-unreserved; RFC 4475 §3.1.1.2, §3.1.1.9), but never an unescaped
 * `@`, and no header value may hold one either, so the first `@` ends the userinfo.
 */
export function parseUri(text: string): SipUri | undefined {
  const m = /^(sips?|tel):(.+)$/i.exec(text.trim());
  if (!m) return undefined;
  const scheme = (m[1] as string).toLowerCase() as SipUri['scheme'];
  let rest = m[2] as string;
  if (scheme === 'tel') {
    const q = rest.indexOf('?');
    if (q >= 0) rest = rest.slice(0, q);
    const [num = '', ...p] = rest.split(';');
    const params = parseParams(p.join(';'));
    return params ? { scheme, user: num, host: '', params } : undefined;
  }
  const at = rest.indexOf('@');
  let user = '';
  if (at >= 0) {
    user = rest.slice(0, at);
    const colon = user.indexOf(':');
    if (colon >= 0) user = user.slice(0, colon); // password part, never used
    if (/[\s<>"]/.test(user)) return undefined;
    rest = rest.slice(at + 1);
  }
  const q = rest.indexOf('?');
  if (q >= 0) rest = rest.slice(0, q);
  const semi = rest.indexOf(';');
  const hostPart = semi < 0 ? rest : rest.slice(0, semi);
  const hp = parseHostPort(hostPart);
  const params = parseParams(semi < 0 ? '' : rest.slice(semi + 1));
  if (!hp || !params) return undefined;
  try {
    user = decodeURIComponent(user);
  } catch {
    return undefined;
  }
  return { scheme, user, host: hp.host, ...(hp.port ? { port: hp.port } : {}), params };
}

/** True when a SIP URI carries `?headers` after its host (not allowed in a Request-URI, RFC 3261 §19.1.1). */
export function uriHasHeaders(text: string): boolean {
  const at = text.indexOf('@');
  return text.indexOf('?', at < 0 ? 0 : at) >= 0;
}

/**
 * Splits a header value that lists several name-addrs (Record-Route, Route, Contact; RFC 3261 §7.3.1)
 * at the commas that separate them, not at commas inside a quoted display name or a `<URI>`.
 */
export function splitNameAddrList(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') angle = true;
    else if (c === '>') angle = false;
    else if (c === ',' && !angle) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** An unquoted display name: tokens separated by whitespace (RFC 3261 §25.1 `*(token LWS)`). */
const TOKEN_WORDS = /^[A-Za-z0-9.!%*_+`'~-]+(?:\s+[A-Za-z0-9.!%*_+`'~-]+)*$/;

/** Parses a name-addr or addr-spec header value (From, To, Contact, Refer-To, Referred-By). */
export function parseNameAddr(text: string): NameAddr | undefined {
  let s = text.trim();
  let displayName: string | undefined;
  if (s.startsWith('"')) {
    const m = /^"((?:[^"\\]|\\.)*)"\s*/.exec(s);
    if (!m) return undefined;
    displayName = (m[1] as string).replace(/\\(.)/g, '$1');
    s = s.slice(m[0].length);
    if (!s.startsWith('<')) return undefined;
  }
  let uriText: string;
  let paramText: string;
  const lt = s.indexOf('<');
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    if (gt < 0) return undefined;
    const name = s.slice(0, lt).trim();
    // RFC 4475 §3.1.2.15: a display name with a comma or other non-token characters must be quoted.
    if (name && displayName === undefined && !TOKEN_WORDS.test(name)) return undefined;
    if (name && displayName === undefined) displayName = name;
    uriText = s.slice(lt + 1, gt);
    // RFC 4475 §3.1.2.14: no whitespace between the angle brackets and the addr-spec.
    if (uriText !== uriText.trim()) return undefined;
    paramText = s.slice(gt + 1).trim();
    if (paramText && !paramText.startsWith(';')) return undefined;
  } else {
    // addr-spec: parameters after the URI belong to the header (RFC 3261 §20.10).
    // Whitespace may separate the URI from the `;` of the header's parameters (RFC 3261 §25.1 SEMI is
    // SWS ";" SWS; RFC 4475 §3.1.1.1 `To: sip:… ;tag=…`).
    const semi = s.indexOf(';');
    uriText = (semi < 0 ? s : s.slice(0, semi)).trimEnd();
    paramText = semi < 0 ? '' : s.slice(semi);
    if (/[\s,?]/.test(uriText)) return undefined;
  }
  const uri = parseUri(uriText);
  const params = parseParams(paramText.replace(/^;/, ''));
  if (!uri || !params) return undefined;
  return { ...(displayName ? { displayName } : {}), uri, uriText, params };
}

/** Parses one Via value `SIP/2.0/UDP host:port;branch=…;rport`. */
export function parseVia(text: string): Via | undefined {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+([^;\s]+)\s*(;.*)?$/i.exec(text.trim());
  if (!m) return undefined;
  const hp = parseHostPort(m[2] as string);
  const params = parseParams((m[3] ?? '').replace(/^;/, ''));
  if (!hp || !params) return undefined;
  const branch = params.branch ?? undefined;
  return {
    transport: (m[1] as string).toUpperCase(),
    host: hp.host,
    ...(hp.port ? { port: hp.port } : {}),
    params,
    ...(branch ? { branch } : {}),
  };
}

export function formatVia(via: Via): string {
  const params = Object.entries(via.params)
    .map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`))
    .join('');
  return `SIP/2.0/${via.transport} ${via.host}${via.port ? `:${via.port}` : ''}${params}`;
}

export function parseCSeq(text: string): { seq: number; method: string } | undefined {
  const m = /^(\d{1,10})\s+([A-Za-z0-9.!%*_+`'~-]+)$/.exec(text.trim());
  if (!m) return undefined;
  const seq = Number(m[1]);
  // RFC 3261 §8.1.1.5: the sequence number MUST be less than 2^31.
  if (seq >= 2 ** 31) return undefined;
  return { seq, method: m[2] as string };
}
