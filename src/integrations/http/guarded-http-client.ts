import http from 'node:http';
import https from 'node:https';
import dns from 'node:dns';
import net from 'node:net';
import type { HttpSettings } from '../../config/schema.js';
import { AddressPolicy } from './address-policy.js';
import { OutboundHttpError } from './outbound-http-error.js';
import type { HttpClient } from './http-client.js';
import { httpAttributes, markFailed, noTracing, type Tracing } from '../../observability/tracing.js';

export interface OutboundRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body as UTF-8 text. */
  body: string;
  /** The body as received (attachments, binary payloads). */
  bytes: Buffer;
  /** The URL that answered (after redirects). */
  url: string;
}

export type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const defaultResolver: Resolver = (host) => dns.promises.lookup(host, { all: true, verbatim: true });

/**
 * The one HTTP client every integration uses. For each request (and each redirect hop) it resolves
 * the host, checks every address against the policy, then connects to a checked address only: the
 * socket's `lookup` is pinned to it, so a second DNS answer (rebinding) can never be used. Bodies are
 * size-capped and the whole exchange has one deadline.
 */
export class GuardedHttpClient implements HttpClient {
  readonly policy: AddressPolicy;

  constructor(
    private readonly settings: HttpSettings,
    private readonly resolve: Resolver = defaultResolver,
    /** Each request is a client span and carries its `traceparent` (tracing on). */
    private readonly tracing: Tracing = noTracing,
  ) {
    this.policy = new AddressPolicy(settings);
  }

  /**
   * Sends one request (following redirects). With tracing on it is a client span, child of the span
   * active where it is called (the action run, the delivery), and every hop sends that span's
   * `traceparent` (W3C Trace Context §3.2): webhooks, HTTP actions, SMS and CRM providers all pass here.
   */
  request(input: OutboundRequest): Promise<OutboundResponse> {
    if (!this.tracing.enabled) return this.requestOnce(input);
    const method = input.method.toUpperCase();
    let attributes = {};
    try {
      attributes = httpAttributes(method, new URL(input.url));
    } catch {
      // A bad URL fails in requestOnce with its own error.
    }
    return this.tracing.span(method, { kind: 'client', attributes }, async (span) => {
      const res = await this.requestOnce({
        ...input,
        headers: this.tracing.inject({ ...(input.headers ?? {}) }),
      });
      span.setAttribute('http.response.status_code', res.status);
      if (res.status >= 400) markFailed(span, `HTTP ${res.status}`);
      return res;
    });
  }

  private async requestOnce(input: OutboundRequest): Promise<OutboundResponse> {
    const timeoutMs = Math.min(input.timeoutMs ?? this.settings.timeout_ms, this.settings.timeout_ms);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timeout')), timeoutMs);
    const forward = (): void => controller.abort(input.signal?.reason);
    input.signal?.addEventListener('abort', forward, { once: true });
    try {
      return await this.follow(input, controller.signal, timeoutMs);
    } finally {
      clearTimeout(timer);
      input.signal?.removeEventListener('abort', forward);
    }
  }

  private async follow(
    input: OutboundRequest,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<OutboundResponse> {
    let url = parseUrl(input.url);
    const origin = url.host;
    let method = input.method.toUpperCase();
    let body = input.body;
    let headers = { ...(input.headers ?? {}) };
    for (let hop = 0; ; hop++) {
      const address = await this.checkedAddress(url, signal);
      const res = await this.once(url, address, { method, headers, body }, signal, timeoutMs);
      const location = res.headers.location;
      if (!REDIRECTS.has(res.status) || !location) return res;
      if (hop >= this.settings.max_redirects) {
        throw new OutboundHttpError(
          'HTTP_REDIRECT',
          `too many redirects from ${origin} (http.max_redirects = ${this.settings.max_redirects})`,
          false,
        );
      }
      const next = parseUrl(new URL(location, url).toString());
      if (next.host !== origin) {
        if (!this.settings.allow_cross_host_redirects) {
          throw new OutboundHttpError(
            'HTTP_REDIRECT',
            `redirect from ${origin} to another host ${next.host} refused (set http.allow_cross_host_redirects to follow)`,
            false,
          );
        }
        // Credentials were meant for the first host only (RFC 9110 §15.4).
        headers = Object.fromEntries(
          Object.entries(headers).filter(([k]) => !/^(authorization|cookie)$/i.test(k)),
        );
      }
      // RFC 9110 §15.4.4: 303 turns into GET; 301/302 after POST do so in practice too.
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      url = next;
    }
  }

  /** Resolves and checks every address; returns the one the connection is pinned to. */
  private async checkedAddress(url: URL, signal: AbortSignal): Promise<{ address: string; family: number }> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: Array<{ address: string; family: number }>;
    if (net.isIP(host)) addresses = [{ address: host, family: net.isIP(host) }];
    else {
      try {
        addresses = await abortable(this.resolve(host), signal);
      } catch (err) {
        if (signal.aborted) throw this.abortError(signal, url);
        throw new OutboundHttpError(
          'HTTP_NETWORK',
          `cannot resolve ${host}: ${(err as Error).message}`,
          true,
        );
      }
    }
    if (!addresses.length)
      throw new OutboundHttpError('HTTP_NETWORK', `${host} resolved to no address`, true);
    for (const a of addresses) {
      const verdict = this.policy.check(a.address, host);
      if (!verdict.allowed) {
        throw new OutboundHttpError(
          'HTTP_BLOCKED',
          `${host} resolves to ${a.address}, a ${verdict.reason} address: refused by the outbound HTTP policy ` +
            '(allow it with http.allow_hosts, or http.allow_private)',
          false,
        );
      }
    }
    return addresses[0]!;
  }

  private once(
    url: URL,
    pinned: { address: string; family: number },
    req: { method: string; headers: Record<string, string>; body?: string | Buffer },
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<OutboundResponse> {
    const secure = url.protocol === 'https:';
    const lookup = ((_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void): void => {
      if (options.all) cb(null, [pinned]);
      else cb(null, pinned.address, pinned.family);
    }) as unknown as net.LookupFunction;
    const headers: Record<string, string | number> = { 'user-agent': 'callwright', ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    return new Promise<OutboundResponse>((resolve, reject) => {
      const fail = (err: unknown): void => {
        if (signal.aborted) reject(this.abortError(signal, url, timeoutMs));
        else if (err instanceof OutboundHttpError) reject(err);
        else
          reject(
            new OutboundHttpError(
              'HTTP_NETWORK',
              `${req.method} ${url.host}: ${(err as Error).message}`,
              true,
            ),
          );
      };
      const r = (secure ? https : http).request(
        url,
        { method: req.method, headers, lookup, signal, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > this.settings.max_response_bytes) {
              res.destroy();
              fail(
                new OutboundHttpError(
                  'HTTP_TOO_LARGE',
                  `response from ${url.host} exceeds http.max_response_bytes (${this.settings.max_response_bytes})`,
                  false,
                ),
              );
              return;
            }
            chunks.push(c);
          });
          res.on('error', fail);
          res.on('end', () => {
            const bytes = Buffer.concat(chunks);
            resolve({
              status: res.statusCode ?? 0,
              headers: flatten(res.headers),
              body: bytes.toString('utf8'),
              bytes,
              url: url.toString(),
            });
          });
        },
      );
      r.on('error', fail);
      r.end(req.body);
    });
  }

  private abortError(signal: AbortSignal, url: URL, timeoutMs?: number): OutboundHttpError {
    const reason = signal.reason as Error | undefined;
    if (reason?.message === 'timeout') {
      return new OutboundHttpError(
        'HTTP_TIMEOUT',
        `no complete answer from ${url.host} within ${timeoutMs ?? this.settings.timeout_ms} ms`,
        true,
      );
    }
    return new OutboundHttpError('HTTP_NETWORK', `request to ${url.host} cancelled`, false);
  }
}

function parseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundHttpError('HTTP_BAD_URL', `not a URL: ${JSON.stringify(raw.slice(0, 200))}`, false);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundHttpError(
      'HTTP_BAD_URL',
      `URL scheme ${url.protocol} is not allowed (http or https)`,
      false,
    );
  }
  return url;
}

function flatten(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
