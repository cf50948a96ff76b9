/**
 * Turns bytes from a socket into a SipMessage, or says why it cannot (RFC 3261 §7, §8.2, §18.3 and the
 * invalid cases of RFC 4475 §3.1.2). A failed request that still names where to answer gets a 400/505/416.
 */
import { SipHeaders, canonicalName, parsedFields, type SipMessage } from './sip-message.js';
import { isToken, parseUri } from './sip-uri.js';

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
    // Backslash escapes count only inside quoted strings, but dropping them everywhere is safe here.
    // Most values hold no quote at all: skip the copies the count makes.
    if (value.includes('"') && (value.replace(/\\./g, '').split('"').length - 1) % 2 !== 0)
      error ??= `unbalanced quotes in ${name}`;
    const cname = canonicalName(name);
    if (LIST_HEADERS.has(cname)) {
      for (const part of splitList(value)) {
        if (!part) error ??= `empty element in ${name}`;
        else headers.add(name, part);
      }
    } else headers.add(name, value);
  }
  return { headers, ...(error ? { error } : {}) };
}

/** Parses one complete message (a UDP datagram or a TCP frame). */
export function parseSipMessage(data: Buffer): ParseResult {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return { error: 'no end of headers (CRLF CRLF)' };
  const head = data.toString('utf8', 0, end);
  const lines = head.split('\r\n');
  const startLine = lines.shift() ?? '';
  const block = parseHeaderBlock(lines);
  const headers = block.headers;

  const bodyBytes = data.subarray(end + 4);
  const clText = headers.get('content-length');
  let body: string;
  let lengthError: string | undefined;
  if (clText !== undefined) {
    if (!/^\d{1,9}$/.test(clText)) lengthError = `Content-Length not a non-negative integer: ${clText}`;
    else if (Number(clText) > bodyBytes.length)
      // RFC 3261 §18.3: a datagram shorter than Content-Length is malformed.
      lengthError = `Content-Length ${clText} exceeds the ${bodyBytes.length} bytes received`;
    body = bodyBytes.toString('utf8', 0, Math.min(Number(clText) || 0, bodyBytes.length));
  } else body = bodyBytes.toString('utf8');

  const response = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(startLine);
  if (response) {
    const fields = parsedFields(headers);
    const error = block.error ?? lengthError ?? (typeof fields === 'string' ? fields : undefined);
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
  if (!request) return fail(`malformed request line: ${startLine.slice(0, 60)}`);
  if (request[3] !== '2.0') return fail(`SIP version ${request[3]} not supported`, 505);
  if (block.error) return fail(block.error);
  if (lengthError) return fail(lengthError);
  const uri = request[2] as string;
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri))
    return fail(`Request-URI is not an absolute URI: ${uri.slice(0, 60)}`);
  if (!/^(sips?|tel):/i.test(uri)) return fail(`Request-URI scheme not supported: ${uri.split(':')[0]}`, 416);
  if (!parseUri(uri)) return fail(`Request-URI malformed: ${uri.slice(0, 60)}`);
  const fields = parsedFields(headers);
  if (typeof fields === 'string') return fail(fields);
  // RFC 3261 §8.1.1.7 / RFC 4475 §3.1.2.19: the CSeq method must match the request method.
  if (fields.cseq.method !== method)
    return fail(`CSeq method ${fields.cseq.method} does not match ${method}`);
  const mf = headers.get('max-forwards');
  if (mf !== undefined && (!/^\d{1,3}$/.test(mf) || Number(mf) > 255))
    return fail(`Max-Forwards not an integer 0-255: ${mf.slice(0, 20)}`);
  return { message: { kind: 'request', method, uri, headers, body, ...fields } };
}
