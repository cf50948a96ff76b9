import http from 'node:http';
import https from 'node:https';
import {
  PermanentDeliveryError,
  type DeliveryHandler,
  type DeliveryJob,
  type DeliveryOutcome,
} from './delivery-handler.js';
import { HttpDeliveryPayload } from './outbox-payloads.js';
import { httpAttributes, markFailed, noTracing, type Tracing } from '../observability/tracing.js';

export { HttpDeliveryPayload };

const MAX_RESPONSE_BYTES = 64 * 1024;

/** 408 and 429 are worth retrying; other 4xx mean the request itself is wrong (RFC 9110 §15.5). */
function retryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * The generic delivery: POST JSON with `Idempotency-Key: <row key>` so a receiver applies a redelivered
 * row once (the key is stable across attempts). 2xx delivers; 408/429/5xx and network errors retry;
 * other 4xx dead-letter at once. Keep-alive agents reuse connections (the worker delivers in parallel).
 * The payload arrives decoded and checked (`outbox-payloads.ts`).
 */
export class HttpDeliveryHandler implements DeliveryHandler<'http'> {
  readonly kind = 'http';
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly tracing: Tracing;

  constructor(options: { maxSockets?: number; tracing?: Tracing } = {}) {
    this.tracing = options.tracing ?? noTracing;
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
  }

  async deliver(job: DeliveryJob<'http'>): Promise<DeliveryOutcome> {
    const { payload } = job;
    const body = JSON.stringify(payload.body ?? null);
    const res = this.tracing.enabled
      ? await this.tracedSend(payload, body, job)
      : await this.send(payload, body, job);
    if (res.status >= 200 && res.status < 300) return { result: { status: res.status } };
    const message = `HTTP ${res.status} from ${new URL(payload.url).host}: ${res.body.slice(0, 200)}`;
    if (retryable(res.status)) throw new Error(message);
    throw new PermanentDeliveryError(message);
  }

  /** The request as a client span of the delivery (tracing on); its traceparent is sent. */
  private tracedSend(
    payload: HttpDeliveryPayload,
    body: string,
    job: DeliveryJob<'http'>,
  ): Promise<{ status: number; body: string }> {
    const method = payload.method ?? 'POST';
    const attributes = httpAttributes(method, new URL(payload.url));
    return this.tracing.span(method, { kind: 'client', attributes }, async (span) => {
      const answer = await this.send(payload, body, job);
      span.setAttribute('http.response.status_code', answer.status);
      if (answer.status >= 400) markFailed(span, `HTTP ${answer.status}`);
      return answer;
    });
  }

  private send(
    payload: HttpDeliveryPayload,
    body: string,
    job: DeliveryJob<'http'>,
  ): Promise<{ status: number; body: string }> {
    const url = new URL(payload.url);
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        url,
        {
          method: payload.method ?? 'POST',
          agent: secure ? this.httpsAgent : this.httpAgent,
          signal: job.signal,
          // traceparent (tracing on) names the client span of this delivery (W3C Trace Context §3.2).
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...this.tracing.inject({
              'idempotency-key': job.idempotencyKey,
              'user-agent': 'callwright-outbox',
              ...(payload.headers ?? {}),
            }),
          },
        },
        (res) => {
          // Only the start of the answer is kept (for the error message); the rest is drained.
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size < MAX_RESPONSE_BYTES) chunks.push(c);
            size += c.length;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
