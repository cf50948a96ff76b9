import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signing (standardwebhooks.com): headers webhook-id, webhook-timestamp (Unix
 * seconds) and webhook-signature `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, where the
 * key is the base64 part of a `whsec_` secret. Receivers (Svix, Zapier code steps, ours) verify it.
 */
export const SECRET_PREFIX = 'whsec_';

export function isWebhookSecret(secret: string): boolean {
  if (!secret.startsWith(SECRET_PREFIX)) return false;
  const b64 = secret.slice(SECRET_PREFIX.length);
  return b64.length >= 16 && /^[A-Za-z0-9+/]+={0,2}$/.test(b64);
}

function keyOf(secret: string): Buffer {
  return Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
}

export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three headers for one delivery attempt. */
export function webhookHeaders(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secret, id, timestamp, body),
  };
}

/** A message id that stays the same across retries of one delivery, so receivers can de-duplicate. */
export function webhookId(idempotencyKey: string): string {
  return `msg_${createHash('sha256').update(idempotencyKey).digest('base64url').slice(0, 27)}`;
}

/** Verifies a signature header (space-separated list of `v1,<sig>`) within a timestamp tolerance. */
export function verifyWebhook(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, headers.id, ts, body));
  return headers.signature.split(' ').some((candidate) => {
    const got = Buffer.from(candidate);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
