/**
 * HTTP digest for SIP (RFC 3261 §22, RFC 2617 MD5 with qop=auth). Client side answers a 401/407;
 * server side issues stateless nonces (an HMAC over their issue time) and checks responses in constant time.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DigestFailureReason } from './digest-bans.js';

/** Parses `Digest realm="x", nonce="y", qop="auth"` into lower-cased names and unquoted values. */
export function parseAuthParams(
  text: string,
): { scheme: string; params: Record<string, string> } | undefined {
  const m = /^\s*([A-Za-z]+)\s+(.*)$/s.exec(text);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)\s*(,|$)/gy;
  const body = m[2] as string;
  let match: RegExpExecArray | null;
  let last = 0;
  while ((match = re.exec(body)) !== null) {
    params[(match[1] as string).toLowerCase()] = match[3] !== undefined ? match[3] : (match[2] as string);
    last = re.lastIndex;
    if (last >= body.length) break;
  }
  if (last < body.trim().length) return undefined;
  return { scheme: (m[1] as string).toLowerCase(), params };
}

/** The realm both backends challenge with, so a client's credentials work whichever one runs. */
export const CALLWRIGHT_REALM = 'callwright';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

export interface DigestCredentials {
  username: string;
  password: string;
}

/** The Authorization / Proxy-Authorization value answering `challenge` (a WWW-/Proxy-Authenticate value). */
export function answerChallenge(
  challenge: string,
  method: string,
  uri: string,
  creds: DigestCredentials,
): string | undefined {
  const parsed = parseAuthParams(challenge);
  if (!parsed || parsed.scheme !== 'digest') return undefined;
  const { realm = '', nonce = '', opaque, algorithm, qop } = parsed.params;
  if (algorithm && algorithm.toUpperCase() !== 'MD5') return undefined;
  const ha1 = md5(`${creds.username}:${realm}:${creds.password}`);
  const ha2 = md5(`${method}:${uri}`);
  const useQop = qop
    ?.split(',')
    .map((q) => q.trim())
    .includes('auth');
  let value = `Digest username="${creds.username}", realm="${realm}", nonce="${nonce}", uri="${uri}"`;
  if (useQop) {
    const cnonce = randomBytes(8).toString('hex');
    const nc = '00000001';
    const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
    value += `, response="${response}", qop=auth, nc=${nc}, cnonce="${cnonce}"`;
  } else value += `, response="${md5(`${ha1}:${nonce}:${ha2}`)}"`;
  if (opaque !== undefined) value += `, opaque="${opaque}"`;
  return `${value}, algorithm=MD5`;
}

export type DigestCheck =
  | { ok: true; username: string }
  | { ok: false; reason: DigestFailureReason | 'stale-nonce'; username: string; realm: string };

export class DigestVerifier {
  private readonly secret = randomBytes(16);

  constructor(
    readonly realm: string,
    private readonly nonceLifetimeMs = 300_000,
  ) {}

  private sign(ts: string): string {
    return createHmac('sha256', this.secret).update(ts).digest('base64url').slice(0, 22);
  }

  /**
   * A WWW-Authenticate value with a fresh nonce. `stale` tells a client whose credentials were right
   * over an expired nonce to retry without asking its user again (RFC 2617 §3.2.1, RFC 7616 §3.3).
   */
  challenge(now = Date.now(), stale = false): string {
    const ts = now.toString(36);
    const nonce = `${ts}.${this.sign(ts)}`;
    return `Digest realm="${this.realm}", nonce="${nonce}", algorithm=MD5, qop="auth"${stale ? ', stale=TRUE' : ''}`;
  }

  /** The username when `authorization` is a valid answer for one of `users`, else undefined. */
  verify(
    authorization: string,
    method: string,
    lookup: (username: string) => string | undefined,
    now = Date.now(),
  ): string | undefined {
    const result = this.check(authorization, method, lookup, now);
    return result.ok ? result.username : undefined;
  }

  /**
   * Checks an Authorization value and says why it failed. Every path computes the same hashes (an
   * unknown user is checked against a dummy password) so timing does not tell whether a user exists.
   * A right answer over a nonce that expired or that we cannot vouch for (a restart changes the
   * secret) is `stale-nonce`: the client knows the password and only needs a new nonce.
   */
  check(
    authorization: string,
    method: string,
    lookup: (username: string) => string | undefined,
    now = Date.now(),
  ): DigestCheck {
    const parsed = parseAuthParams(authorization);
    const params = parsed?.scheme === 'digest' ? parsed.params : undefined;
    const { username = '', realm = '', nonce = '', uri = '', response = '', qop, nc, cnonce } = params ?? {};
    const [ts = '', sig = ''] = nonce.split('.');
    const fresh = this.sign(ts) === sig && now - parseInt(ts, 36) < this.nonceLifetimeMs;
    const known = lookup(username);
    const password = known ?? randomBytes(8).toString('hex');
    const ha1 = md5(`${username}:${realm}:${password}`);
    const ha2 = md5(`${method}:${uri}`);
    const expected =
      qop === 'auth'
        ? md5(`${ha1}:${nonce}:${nc ?? ''}:${cnonce ?? ''}:auth:${ha2}`)
        : md5(`${ha1}:${nonce}:${ha2}`);
    const a = Buffer.from(expected);
    const b = Buffer.from(response.padEnd(expected.length, ' ').slice(0, expected.length));
    const match = timingSafeEqual(a, b) && response.length === expected.length;
    const refused = (reason: DigestFailureReason | 'stale-nonce'): DigestCheck => ({
      ok: false,
      reason,
      username,
      realm,
    });
    if (!params || !username || !response) return refused('malformed');
    if (known === undefined) return refused('unknown-user');
    if (params.realm !== this.realm) return refused('wrong-realm');
    if (!match) return refused('wrong-password');
    if (!fresh) return refused('stale-nonce');
    return { ok: true, username };
  }
}
