import { describe, expect, it } from 'vitest';
import { PhoneTokens } from '../../../src/calls/phone-token.js';

describe('PhoneTokens', () => {
  const secret = 'x'.repeat(40);

  it('verifies its own token and names the agent', () => {
    const tokens = new PhoneTokens(secret, 60);
    expect(tokens.verify(tokens.issue('agt_1').token)).toEqual({ ok: true, agentId: 'agt_1' });
  });

  it('each token is different (a nonce), and a shared secret verifies across instances', () => {
    const a = new PhoneTokens(secret, 60);
    const b = new PhoneTokens(secret, 60);
    const t1 = a.issue('agt_1').token;
    expect(a.issue('agt_1').token).not.toBe(t1);
    expect(b.verify(t1)).toEqual({ ok: true, agentId: 'agt_1' });
  });

  it('refuses an expired token', () => {
    let now = 1_000_000_000_000;
    const tokens = new PhoneTokens(secret, 60, () => now);
    const { token, expiresAt } = tokens.issue('agt_1');
    expect(expiresAt.getTime()).toBe(now + 60_000);
    now += 60_001;
    expect(tokens.verify(token)).toEqual({ ok: false, reason: 'Phone Token Expired' });
  });

  it.each([
    [
      'another agent in the body',
      (t: string) => t.replace(/^v1\.[^.]+/, `v1.${Buffer.from('agt_2').toString('base64url')}`),
    ],
    ['a later expiry', (t: string) => t.replace(/^(v1\.[^.]+\.)\d+/, '$19999999999')],
    ['a changed signature', (t: string) => t.slice(0, -2) + (t.endsWith('AA') ? 'BB' : 'AA')],
  ])('refuses a token with %s', (_name, tamper) => {
    const tokens = new PhoneTokens(secret, 60);
    expect(tokens.verify(tamper(tokens.issue('agt_1').token))).toEqual({
      ok: false,
      reason: 'Phone Token Invalid',
    });
  });

  it('refuses a token of another key (a random key per process when no secret is set)', () => {
    expect(new PhoneTokens('', 60).verify(new PhoneTokens('', 60).issue('agt_1').token)).toEqual({
      ok: false,
      reason: 'Phone Token Invalid',
    });
  });

  it.each(['', 'garbage', 'v2.a.b.c.d', 'v1.a.b.c'])('refuses the malformed token %j', (token) => {
    expect(new PhoneTokens(secret, 60).verify(token)).toEqual({ ok: false, reason: 'Phone Token Malformed' });
  });

  it('refuses a short secret naming the setting', () => {
    expect(() => new PhoneTokens('short', 60)).toThrow(
      'sip.websocket.token_secret: got 5 characters, expected at least 32',
    );
  });
});
