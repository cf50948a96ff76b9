/**
 * Turns bytes from a socket into a SipMessage, or says why it cannot (RFC 3261 §7, §8.2, §18.3 and the
 * invalid cases of RFC 4475 §3.1.2). A failed request that still names where to answer gets a 400/505/416.
 */
import { SipHeaders, canonicalName, parsedFields, type SipMessage } from './sip-message.js';
import { isToken, parseUri, uriHasHeaders } from './sip-uri.js';

export interface ParseFailure {
  error: string;
  /** Status to answer with, when the message is a request whose Via could be read. */
  status?: 400 | 416 | 505;
  /** The raw headers (for building the error response). */
  headers?: SipHeaders;
  method?: string;
}

export type ParseResult = { message: SipMessage } | ParseFailure;

/** Headers whose values are comma-separated lists we split (RFC 3261 §7.3.1). */
const LIST_HEADERS = new Set(['Via']);

/**
 * Headers whose grammar has no quoted-string, so a lone `"` is just a character: Call-ID is `word`, which
 * allows `"` (RFC 3261 §25.1; RFC 4475 §3.1.1.2).
 */
const UNQUOTED_HEADERS = new Set(['Call-ID', 'CSeq', 'Max-Forwards', 'Content-Length']);

/**
 * Headers that may appear once only (RFC 3261 §7.3.1: only list headers may repeat). Two of them
 * leave no way to tell which one the sender meant (RFC 4475 §3.3.8 multi01, §3.3.9 mcl01).
 */
const SINGLE_HEADERS = ['Call-ID', 'CSeq', 'From', 'To', 'Content-Length', 'Max-Forwards'] as const;

function splitList(value: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out;
}

function parseHeaderBlock(lines: string[]): { headers: SipHeaders; error?: string } {
  const headers = new SipHeaders();
  // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header (folding).
  const unfolded: string[] = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && unfolded.length > 0) unfolded[unfolded.length - 1] += ` ${line.trim()}`;
    else unfolded.push(line);
  }
  // Keep reading after an error so a 400 can still copy Via, From, To, Call-ID and CSeq.
  let error: string | undefined;
  for (const line of unfolded) {
    const colon = line.indexOf(':');
    if (colon <= 0) {
      error ??= `header line without a name: ${line.slice(0, 40)}`;
      continue;
    }
    const name = line.slice(0, colon).trim();
    if (!isToken(name)) {
      error ??= `header name is not a token: ${name.slice(0, 40)}`;
      continue;
    }
    const value = line.slice(colon + 1).trim();
    const cname = canonicalName(name);
    // Backslash escapes count only inside quoted strings, but dropping them everywhere is safe here.
    // Most values hold no quote at all: skip the copies the count makes.
    if (
      value.includes('"') &&
      !UNQUOTED_HEADERS.has(cname) &&
      (value.replace(/\\./g, '').split('"').length - 1) % 2 !== 0
    )
      error ??= `unbalanced quotes in ${name}`;
    if (LIST_HEADERS.has(cname)) {
      for (const part of splitList(value)) {
        if (!part) error ??= `empty element in ${name}`;
        else headers.add(name, part);
      }
    } else headers.add(name, value);
  }
  return { headers, ...(error ? { error } : {}) };
}

function duplicateSingle(headers: SipHeaders): string | undefined {
  for (const name of SINGLE_HEADERS) {
    if (headers.getAll(name).length > 1) return `${name} appears more than once, only one is allowed`;
  }
  return undefined;
}

/** Parses one complete message (a UDP datagram or a TCP frame). */
export function parseSipMessage(data: Buffer): ParseResult {
  const found = data.indexOf('\r\n\r\n');
  // A datagram is the whole message (RFC 3261 §18.3): without the empty line its headers never ended.
  // Read what is there anyway, so a request whose Via is readable can be answered 400.
  const end = found < 0 ? data.length : found;
  const head = data.toString('utf8', 0, end).replace(/\r\n$/, '');
  const lines = head.split('\r\n');
  const startLine = lines.shift() ?? '';
  const block = parseHeaderBlock(lines);
  const headers = block.headers;

  const bodyBytes = found < 0 ? Buffer.alloc(0) : data.subarray(end + 4);
  const headerError =
    (found < 0 ? 'no end of headers (CRLF CRLF)' : undefined) ?? block.error ?? duplicateSingle(headers);
  const clText = headers.get('content-length');
  let body: string;
  let lengthError: string | undefined;
  if (clText !== undefined) {
    if (!/^\d{1,9}$/.test(clText.replace(/^0+(?=\d)/, '')))
      lengthError = `Content-Length not a non-negative integer: ${clText}`;
    else if (Number(clText) > bodyBytes.length)
      // RFC 3261 §18.3: a datagram shorter than Content-Length is malformed.
      lengthError = `Content-Length ${clText} exceeds the ${bodyBytes.length} bytes received`;
    body = bodyBytes.toString('utf8', 0, Math.min(Number(clText) || 0, bodyBytes.length));
  } else body = bodyBytes.toString('utf8');

  const response = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(startLine);
  if (response) {
    const fields = parsedFields(headers);
    const error = headerError ?? lengthError ?? (typeof fields === 'string' ? fields : undefined);
    if (error || typeof fields === 'string') return { error: error ?? 'malformed response' };
    const status = Number(response[1]);
    if (status < 100 || status > 699) return { error: `status code out of range: ${status}` };
    return { message: { kind: 'response', status, reason: response[2] as string, headers, body, ...fields } };
  }
  if (startLine.startsWith('SIP/')) return { error: `malformed status line: ${startLine.slice(0, 60)}` };

  const request = /^([A-Za-z0-9.!%*_+`'~-]+) (\S+) SIP\/(\d+\.\d+)$/.exec(startLine);
  const method = request?.[1] ?? startLine.split(' ')[0] ?? '';
  const fail = (error: string, status: 400 | 416 | 505 = 400): ParseFailure => ({
    error,
    status,
    headers,
    method,
  });
  if (found < 0) return fail('no end of headers (CRLF CRLF)');
  if (!request) return fail(`malformed request line: ${startLine.slice(0, 60)}`);
  if (request[3] !== '2.0') return fail(`SIP version ${request[3]} not supported, only SIP/2.0`, 505);
  if (headerError) return fail(headerError);
  if (lengthError) return fail(lengthError);
  const uri = request[2] as string;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri))
    return fail(`Request-URI is not an absolute URI: ${uri.slice(0, 60)}`);
  if (!/^(sips?|tel):/i.test(uri)) return fail(`Request-URI scheme not supported: ${uri.split(':')[0]}`, 416);
  if (!parseUri(uri)) return fail(`Request-URI malformed: ${uri.slice(0, 60)}`);
  // RFC 3261 §19.1.1 (table 1): headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11 escruri).
  if (!/^tel:/i.test(uri) && uriHasHeaders(uri))
    return fail(`Request-URI carries ?headers, not allowed there: ${uri.slice(0, 60)}`);
  const fields = parsedFields(headers);
  if (typeof fields === 'string') return fail(fields);
  // RFC 3261 §8.1.1.7 / RFC 4475 §3.1.2.19: the CSeq method must match the request method.
  if (fields.cseq.method !== method)
    return fail(`CSeq method ${fields.cseq.method} does not match ${method}`);
  const mf = headers.get('max-forwards');
  // Leading zeros are legal (RFC 3261 §25.1 `1*DIGIT`; RFC 4475 §3.1.1.1 sends 0068).
  if (mf !== undefined && (!/^\d{1,12}$/.test(mf) || Number(mf) > 255))
    return fail(`Max-Forwards not an integer 0-255: ${mf.slice(0, 20)}`);
  return { message: { kind: 'request', method, uri, headers, body, ...fields } };
}
