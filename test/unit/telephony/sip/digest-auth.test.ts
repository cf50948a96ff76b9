import { describe, expect, it } from 'vitest';
import { DigestVerifier, answerChallenge } from '../../../../src/telephony/sip/digest-auth.js';

describe('digest auth', () => {
  const verifier = new DigestVerifier('callwright');
  const lookup = (u: string): string | undefined => (u === 'pbx' ? 'secret' : undefined);

  it('accepts the client answer to its own challenge (qop=auth)', () => {
    const auth = answerChallenge(verifier.challenge(), 'INVITE', 'sip:1000@h', {
      username: 'pbx',
      password: 'secret',
    });
    expect(verifier.verify(auth ?? '', 'INVITE', lookup)).toBe('pbx');
  });

  it('refuses a wrong password, an unknown user, a different method and an expired nonce alike', () => {
    const challenge = verifier.challenge();
    const wrong =
      answerChallenge(challenge, 'INVITE', 'sip:1000@h', { username: 'pbx', password: 'x' }) ?? '';
    const ghost =
      answerChallenge(challenge, 'INVITE', 'sip:1000@h', { username: 'ghost', password: 'secret' }) ?? '';
    const right =
      answerChallenge(challenge, 'INVITE', 'sip:1000@h', { username: 'pbx', password: 'secret' }) ?? '';
    expect(verifier.verify(wrong, 'INVITE', lookup)).toBeUndefined();
    expect(verifier.verify(ghost, 'INVITE', lookup)).toBeUndefined();
    expect(verifier.verify(right, 'BYE', lookup)).toBeUndefined();
    expect(verifier.verify(right, 'INVITE', lookup, Date.now() + 10 * 60_000)).toBeUndefined();
  });

  it('says why an answer failed: unknown user, wrong realm, wrong password, malformed', () => {
    const challenge = verifier.challenge();
    const answer = (username: string, password: string, c = challenge): string =>
      answerChallenge(c, 'INVITE', 'sip:1000@h', { username, password }) ?? '';
    const otherRealm = challenge.replace('realm="callwright"', 'realm="elsewhere"');
    expect(verifier.check(answer('ghost', 'secret'), 'INVITE', lookup)).toEqual({
      ok: false,
      reason: 'unknown-user',
      username: 'ghost',
      realm: 'callwright',
    });
    expect(verifier.check(answer('pbx', 'secret', otherRealm), 'INVITE', lookup)).toMatchObject({
      reason: 'wrong-realm',
      realm: 'elsewhere',
    });
    expect(verifier.check(answer('pbx', 'x'), 'INVITE', lookup)).toMatchObject({ reason: 'wrong-password' });
    expect(verifier.check('Basic cGJ4OnNlY3JldA==', 'INVITE', lookup)).toMatchObject({ reason: 'malformed' });
    expect(verifier.check('Digest realm="callwright"', 'INVITE', lookup)).toMatchObject({
      reason: 'malformed',
    });
  });

  it('tells the right password over an expired or foreign nonce (stale) from a wrong one', () => {
    const issued = Date.now();
    const right = answerChallenge(verifier.challenge(issued), 'INVITE', 'sip:1000@h', {
      username: 'pbx',
      password: 'secret',
    });
    const wrong = answerChallenge(verifier.challenge(issued), 'INVITE', 'sip:1000@h', {
      username: 'pbx',
      password: 'x',
    });
    const later = issued + 10 * 60_000;
    expect(verifier.check(right ?? '', 'INVITE', lookup, later)).toMatchObject({ reason: 'stale-nonce' });
    expect(verifier.check(wrong ?? '', 'INVITE', lookup, later)).toMatchObject({ reason: 'wrong-password' });
    // A nonce another process issued (a restart changes the secret): the client only needs a new one.
    const restarted = new DigestVerifier('callwright');
    expect(restarted.check(right ?? '', 'INVITE', lookup, issued)).toMatchObject({ reason: 'stale-nonce' });
    expect(verifier.challenge(later, true)).toMatch(/, stale=TRUE$/);
    expect(verifier.challenge(later)).not.toContain('stale');
  });

  it('computes the RFC 2617 response without qop', () => {
    // RFC 2617 §3.5 example values, method INVITE instead of GET.
    const v = answerChallenge(
      'Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"',
      'GET',
      '/dir/index.html',
      {
        username: 'Mufasa',
        password: 'Circle Of Life',
      },
    );
    expect(v).toContain('response="670fd8c2df070c60b045671b8b24ff02"');
  });
});
