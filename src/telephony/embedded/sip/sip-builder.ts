/**
 * Builds outgoing requests and responses: responses copy Via, From, To, Call-ID and CSeq from the request
 * (RFC 3261 §8.2.6.2); requests get a fresh branch with the RFC 3261 magic cookie (§8.1.1.7).
 */
import { randomBytes } from 'node:crypto';
import {
  SipHeaders,
  reasonFor,
  serializeRequest,
  serializeResponse,
  type SipRequest,
} from './sip-message.js';
import type { ParseFailure } from './sip-parser.js';

export function newBranch(): string {
  return `z9hG4bK${randomBytes(9).toString('base64url')}`;
}

export function newTag(): string {
  return randomBytes(6).toString('hex');
}

export function newCallId(host: string): string {
  return `${randomBytes(12).toString('base64url')}@${host}`;
}

export interface ResponseOptions {
  reason?: string;
  /** Added to To when it has no tag yet (dialog-creating and final responses). */
  toTag?: string;
  headers?: Array<[string, string]>;
  body?: string;
  contentType?: string;
  serverHeader?: string;
}

/** Works for parsed requests and for parse failures that kept their headers. */
export function buildResponse(
  request: SipRequest | ParseFailure,
  status: number,
  options: ResponseOptions = {},
): string {
  const src = request.headers;
  const h = new SipHeaders();
  for (const via of src?.getAll('via') ?? []) h.add('Via', via);
  const from = src?.get('from');
  if (from) h.add('From', from);
  let to = src?.get('to');
  if (to && options.toTag && !/;\s*tag=/i.test(to)) to = `${to};tag=${options.toTag}`;
  if (to) h.add('To', to);
  const callId = src?.get('call-id');
  if (callId) h.add('Call-ID', callId);
  const cseq = src?.get('cseq');
  if (cseq) h.add('CSeq', cseq);
  // RFC 3261 §12.1.1: a response that may establish a dialog (101-299) carries the request's
  // Record-Route in the same order, so the caller's route set, too, passes through every proxy that
  // asked to stay on the path (Kamailio in front of several nodes).
  if (status > 100 && status < 300)
    for (const rr of src?.getAll('record-route') ?? []) h.add('Record-Route', rr);
  if (options.serverHeader) h.add('Server', options.serverHeader);
  for (const [k, v] of options.headers ?? []) h.add(k, v);
  const body = options.body ?? '';
  if (body && options.contentType) h.add('Content-Type', options.contentType);
  return serializeResponse(status, options.reason ?? reasonFor(status), h, body);
}

export interface RequestSpec {
  method: string;
  uri: string;
  via: string;
  from: string;
  to: string;
  callId: string;
  cseq: number;
  contact?: string;
  routes?: string[];
  headers?: Array<[string, string]>;
  body?: string;
  contentType?: string;
  userAgent?: string;
}

export function buildRequest(spec: RequestSpec): { text: string; headers: SipHeaders } {
  const h = new SipHeaders();
  h.add('Via', spec.via);
  h.add('Max-Forwards', '70');
  for (const r of spec.routes ?? []) h.add('Route', r);
  h.add('From', spec.from);
  h.add('To', spec.to);
  h.add('Call-ID', spec.callId);
  h.add('CSeq', `${spec.cseq} ${spec.method}`);
  if (spec.contact) h.add('Contact', spec.contact);
  if (spec.userAgent) h.add('User-Agent', spec.userAgent);
  for (const [k, v] of spec.headers ?? []) h.add(k, v);
  const body = spec.body ?? '';
  if (body && spec.contentType) h.add('Content-Type', spec.contentType);
  return { text: serializeRequest(spec.method, spec.uri, h, body), headers: h };
}
