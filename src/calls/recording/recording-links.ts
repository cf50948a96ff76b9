import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Links to a call's recording that need no API key (emails, webhooks, a CRM note): the path
 * `/calls/<id>/recording` with `expires` (Unix seconds) and `sig`, the base64url HMAC-SHA256 of
 * `<call id>.<expires>` under the server's link secret. Anyone holding the link may fetch that one
 * recording until it expires; changing the secret revokes every link.
 */
export class RecordingLinks {
  constructor(
    private readonly secret: Buffer,
    /** The API's public base URL; a function when it is known only once the API listens. */
    private readonly publicUrl: string | (() => string),
    private readonly ttlS: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The signed link, valid `ttlS` seconds from now. */
  signed(callId: string): { url: string; expires_at: string } {
    const expires = Math.floor(this.now() / 1000) + this.ttlS;
    const sig = this.signature(callId, expires);
    return {
      url: `${this.apiLink(callId)}?expires=${expires}&sig=${sig}`,
      expires_at: new Date(expires * 1000).toISOString(),
    };
  }

  /** The link for API clients (needs the admin key). */
  apiLink(callId: string): string {
    const base = typeof this.publicUrl === 'string' ? this.publicUrl : this.publicUrl();
    return `${base.replace(/\/+$/, '')}/calls/${encodeURIComponent(callId)}/recording`;
  }

  /** Why a signed request is refused, or undefined when it is good. */
  check(callId: string, expires: string | undefined, sig: string | undefined): string | undefined {
    const at = Number(expires);
    if (!expires || !sig || !Number.isInteger(at)) return 'the link needs both expires and sig';
    if (at * 1000 < this.now()) return 'the link has expired';
    const expected = Buffer.from(this.signature(callId, at));
    const got = Buffer.from(sig);
    if (got.length !== expected.length || !timingSafeEqual(got, expected))
      return 'the link signature is not valid';
    return undefined;
  }

  private signature(callId: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${callId}.${expires}`).digest('base64url');
  }
}

/**
 * The link secret: `recording.link_secret` when set, else a random key made once and kept in
 * `<data.dir>/recording-link.key` (mode 0600), so links survive restarts.
 */
export function linkSecret(configured: string, dataDir: string): Buffer {
  if (configured) return Buffer.from(configured, 'utf8');
  const file = path.join(dataDir, 'recording-link.key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64'), { mode: 0o600, flag: 'wx' });
  return key;
}
