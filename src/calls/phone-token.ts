/**
 * Phone tokens: what lets a browser call one agent over SIP on a WebSocket. The dashboard asks the API
 * (`POST /agents/{id}/phone`, authenticated like any call), the browser sends the token in the
 * `X-Callwright-Phone-Token` header of its INVITE, and the call layer routes the call to that agent
 * only when the token's HMAC and expiry hold. Checked on the INVITE, so both backends behave alike.
 *
 * Format: `v1.<agent id, base64url>.<expiry, unix seconds>.<nonce>.<HMAC-SHA256, base64url>` over
 * everything before the last dot.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const PHONE_TOKEN_HEADER = 'X-Callwright-Phone-Token';
/** Smallest `sip.websocket.token_secret` accepted (HMAC-SHA256 keys shorter than this are guessable). */
export const MIN_SECRET_LENGTH = 32;

export interface IssuedPhoneToken {
  token: string;
  expiresAt: Date;
}

export type PhoneTokenCheck =
  | { ok: true; agentId: string }
  /** `reason` is short enough for a SIP reason phrase (403 Phone Token Expired). */
  | { ok: false; reason: string };

export class PhoneTokens {
  private readonly key: Buffer;

  /** `secret` empty: a random key, so tokens hold only within this process. */
  constructor(
    secret: string,
    private readonly ttlS: number,
    private readonly now: () => number = Date.now,
  ) {
    if (secret && secret.length < MIN_SECRET_LENGTH) {
      throw new Error(
        `sip.websocket.token_secret: got ${secret.length} characters, expected at least ${MIN_SECRET_LENGTH} (or empty for a random key per process)`,
      );
    }
    this.key = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
  }

  issue(agentId: string): IssuedPhoneToken {
    const expires = Math.floor(this.now() / 1000) + this.ttlS;
    const body = `v1.${Buffer.from(agentId, 'utf8').toString('base64url')}.${expires}.${randomBytes(9).toString('base64url')}`;
    return { token: `${body}.${this.sign(body)}`, expiresAt: new Date(expires * 1000) };
  }

  verify(token: string): PhoneTokenCheck {
    const parts = token.trim().split('.');
    if (parts.length !== 5 || parts[0] !== 'v1') return { ok: false, reason: 'Phone Token Malformed' };
    const [, agent, expires, , mac] = parts as [string, string, string, string, string];
    const body = parts.slice(0, 4).join('.');
    const expected = Buffer.from(this.sign(body), 'base64url');
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, reason: 'Phone Token Invalid' };
    if (!/^\d{1,12}$/.test(expires) || Number(expires) * 1000 <= this.now())
      return { ok: false, reason: 'Phone Token Expired' };
    return { ok: true, agentId: Buffer.from(agent, 'base64url').toString('utf8') };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
