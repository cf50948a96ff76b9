import http from 'node:http';
import https from 'node:https';
import { Type, type Static } from '@sinclair/typebox';
import { check } from '../util/validate.js';
import { describeIssues } from '../errors.js';
import {
  PermanentDeliveryError,
  type DeliveryHandler,
  type DeliveryJob,
  type DeliveryOutcome,
} from './delivery-handler.js';

/** Payload of an `http` outbox row: a JSON POST (or PUT/PATCH) to a URL. */
export const HttpDeliveryPayload = Type.Object({
  url: Type.String({ format: 'uri' }),
  method: Type.Optional(Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH')])),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  body: Type.Unknown(),
});
export type HttpDeliveryPayload = Static<typeof HttpDeliveryPayload>;

const MAX_RESPONSE_BYTES = 64 * 1024;

/** 408 and 429 are worth retrying; other 4xx mean the request itself is wrong (RFC 9110 §15.5). */
function retryable(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/**
 * The generic delivery: POST JSON with `Idempotency-Key: <row key>` so a receiver applies a redelivered
 * row once (the key is stable across attempts). 2xx delivers; 408/429/5xx and network errors retry;
 * other 4xx dead-letter at once. Keep-alive agents reuse connections (the worker delivers in parallel).
 * The integrations issue's webhook action can reuse this or register its own kind.
 */
export class HttpDeliveryHandler implements DeliveryHandler {
  readonly kind: string;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(options: { kind?: string; maxSockets?: number } = {}) {
    this.kind = options.kind ?? 'http';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
  }

  async deliver(job: DeliveryJob): Promise<DeliveryOutcome> {
    const issues = check(HttpDeliveryPayload, job.payload, 'payload');
    if (issues.length) throw new PermanentDeliveryError(`bad http payload: ${describeIssues(issues)}`);
    const payload = job.payload as HttpDeliveryPayload;
    const body = JSON.stringify(payload.body ?? null);
    const res = await this.send(payload, body, job);
    if (res.status >= 200 && res.status < 300) return { result: { status: res.status } };
    const message = `HTTP ${res.status} from ${new URL(payload.url).host}: ${res.body.slice(0, 200)}`;
    if (retryable(res.status)) throw new Error(message);
    throw new PermanentDeliveryError(message);
  }

  private send(
    payload: HttpDeliveryPayload,
    body: string,
    job: DeliveryJob,
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
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'idempotency-key': job.idempotencyKey,
            'user-agent': 'callwright-outbox',
            ...(payload.headers ?? {}),
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
