import { createHmac } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FieldIssue } from '../../errors.js';

/**
 * How an http-request authenticates: bearer token, basic credentials, or an HMAC signature header.
 * One object with a `type` (not a union) so a missing field is reported by name (see `authIssues`).
 */
export const HttpAuthSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('bearer'), Type.Literal('basic'), Type.Literal('hmac')]),
    /** bearer */
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
    /** basic */
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    password: Type.Optional(Type.String({ maxLength: 1000 })),
    /** hmac: the key; the digest of the body goes in `header`. */
    secret: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
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
);
export type HttpAuth = Static<typeof HttpAuthSchema>;

const NEEDS: Record<HttpAuth['type'], Array<keyof HttpAuth>> = {
  bearer: ['token'],
  basic: ['username', 'password'],
  hmac: ['secret'],
};

/** The fields each auth type needs, named when missing. */
export function authIssues(auth: HttpAuth | undefined): FieldIssue[] {
  if (!auth) return [];
  return NEEDS[auth.type]
    .filter((k) => auth[k] === undefined)
    .map((k) => ({ field: `config.auth.${k}`, expected: `a value when auth.type is "${auth.type}"` }));
}

/** The headers an auth setting adds to a request with this body. */
export function authHeaders(
  auth: HttpAuth | undefined,
  body: string,
  nowSeconds: number,
): Record<string, string> {
  if (!auth) return {};
  if (auth.type === 'bearer') return { authorization: `Bearer ${auth.token ?? ''}` };
  if (auth.type === 'basic') {
    return {
      authorization: `Basic ${Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64')}`,
    };
  }
  const signed = auth.timestamp_header ? `${nowSeconds}.${body}` : body;
  const digest = createHmac(auth.algorithm, auth.secret ?? '')
    .update(signed)
    .digest(auth.encoding);
  return {
    [auth.header]: `${auth.prefix}${digest}`,
    ...(auth.timestamp_header ? { [auth.timestamp_header]: String(nowSeconds) } : {}),
  };
}
