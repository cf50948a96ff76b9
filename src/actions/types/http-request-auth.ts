import { createHmac } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';

/** How an http-request authenticates: bearer token, basic credentials, or an HMAC signature header. */
export const HttpAuthSchema = Type.Union([
  Type.Object(
    { type: Type.Literal('bearer'), token: Type.String({ minLength: 1, maxLength: 4000 }) },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('basic'),
      username: Type.String({ minLength: 1, maxLength: 500 }),
      password: Type.String({ maxLength: 1000 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('hmac'),
      secret: Type.String({ minLength: 1, maxLength: 1000 }),
      header: Type.String({ default: 'X-Signature', pattern: '^[A-Za-z0-9-]+$' }),
      algorithm: Type.Union([Type.Literal('sha256'), Type.Literal('sha1'), Type.Literal('sha512')], {
        default: 'sha256',
      }),
      encoding: Type.Union([Type.Literal('hex'), Type.Literal('base64')], { default: 'hex' }),
      /** Put before the digest, e.g. `sha256=` as GitHub does. */
      prefix: Type.String({ default: '', maxLength: 50 }),
      /** When set, a Unix-seconds timestamp is sent in this header and signed as `<timestamp>.<body>`. */
      timestamp_header: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]+$' })),
    },
    { additionalProperties: false },
  ),
]);
export type HttpAuth = Static<typeof HttpAuthSchema>;

/** The headers an auth setting adds to a request with this body. */
export function authHeaders(
  auth: HttpAuth | undefined,
  body: string,
  nowSeconds: number,
): Record<string, string> {
  if (!auth) return {};
  if (auth.type === 'bearer') return { authorization: `Bearer ${auth.token}` };
  if (auth.type === 'basic') {
    return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
  }
  const signed = auth.timestamp_header ? `${nowSeconds}.${body}` : body;
  const digest = createHmac(auth.algorithm ?? 'sha256', auth.secret)
    .update(signed)
    .digest(auth.encoding ?? 'hex');
  return {
    [auth.header ?? 'X-Signature']: `${auth.prefix ?? ''}${digest}`,
    ...(auth.timestamp_header ? { [auth.timestamp_header]: String(nowSeconds) } : {}),
  };
}
