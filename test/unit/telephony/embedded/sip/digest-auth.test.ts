import { describe, expect, it } from 'vitest';
import { DigestVerifier, answerChallenge } from '../../../../../src/telephony/embedded/sip/digest-auth.js';

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
