import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signatures (standardwebhooks.com): `webhook-id`, `webhook-timestamp` (Unix seconds)
 * and `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`. A secret written as
 * `whsec_<base64>` is the key in base64, as the spec's libraries expect; any other string is used as bytes.
 */
export function secretKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

export function signWebhook(
  secret: string,
  body: string,
  id: string = `msg_${randomUUID()}`,
  timestampS: number = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestampS}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampS), 'webhook-signature': `v1,${mac}` };
}

/** Receiver side (tests, examples): true when one of the space-separated v1 signatures matches. */
export function verifyWebhook(
  secret: string,
  body: string,
  headers: Record<string, string | undefined>,
): boolean {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sigs = headers['webhook-signature'];
  if (!id || !ts || !sigs) return false;
  const expected = Buffer.from(signWebhook(secret, body, id, Number(ts))['webhook-signature']!.slice(3));
  return sigs
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .some((s) => {
      const got = Buffer.from(s.slice(3));
      return got.length === expected.length && timingSafeEqual(got, expected);
    });
}
