import type { IntegrationHttp } from '../http/http-client.js';
import type { FieldIssue } from '../../errors.js';
import { httpOf } from '../integration-services.js';
import { isSuccess, retryableStatus } from '../http/http-status.js';
import { isWebhookSecret, webhookHeaders, webhookId } from './standard-webhooks.js';
import { ActionError } from '../../errors.js';

/** A URL field must be http(s), unless it is a template whose value is only known at run time. */
export function httpUrlIssues(field: string, url: string | undefined): FieldIssue[] {
  if (!url || url.includes('{') || /^https?:\/\/[^/]+/i.test(url)) return [];
  return [{ field, value: url, expected: 'an http:// or https:// URL' }];
}

export function webhookSecretIssues(field: string, secret: string | undefined): FieldIssue[] {
  if (!secret || isWebhookSecret(secret)) return [];
  return [{ field, value: '[secret]', expected: 'whsec_ followed by a base64 key (at least 16 characters)' }];
}

export interface SignedPost {
  url: string;
  method?: string;
  /** The receiver's own headers; the content type, idempotency key and Standard Webhooks headers win. */
  headers?: Record<string, string>;
  payload: string;
  /** `whsec_…`: adds webhook-signature; without it the delivery still carries webhook-id and -timestamp. */
  secret?: string;
  /** Seeds webhook-id, so retries of one delivery keep the same id. */
  idSeed: string;
  timeoutMs?: number;
  /** Error code and receiver name for a non-2xx answer. */
  failCode: string;
  receiver: string;
}

/**
 * POSTs JSON through the guarded client the Standard Webhooks way (the webhook action, escalation
 * webhooks, crm-log's HTTP mapping); a non-2xx answer is an ActionError, retryable per RFC 9110 §15.
 */
export async function postSignedJson(
  ctx: {
    services: { http?: IntegrationHttp; clock: { now(): number } };
    idempotencyKey: string;
    signal: AbortSignal;
  },
  post: SignedPost,
): Promise<{ status: number; webhookId: string }> {
  const id = webhookId(post.idSeed);
  const timestamp = Math.floor(ctx.services.clock.now() / 1000);
  const res = await httpOf(ctx.services).request({
    method: post.method ?? 'POST',
    url: post.url,
    headers: {
      'content-type': 'application/json',
      ...post.headers,
      'idempotency-key': ctx.idempotencyKey,
      ...(post.secret
        ? webhookHeaders(post.secret, id, timestamp, post.payload)
        : { 'webhook-id': id, 'webhook-timestamp': String(timestamp) }),
    },
    body: post.payload,
    timeoutMs: post.timeoutMs,
    signal: ctx.signal,
  });
  if (!isSuccess(res.status)) {
    throw new ActionError(
      post.failCode,
      `${post.receiver} ${new URL(post.url).host} answered ${res.status}: ${res.body.slice(0, 200)}`,
      retryableStatus(res.status),
      { status: res.status },
    );
  }
  return { status: res.status, webhookId: id };
}
