import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSipp, sippFailure } from '../../helpers/sipp.js';
import { NOTHING_LEFT, startEmbedded, type EmbeddedFixture } from './embedded-fixture.js';

// Port block for this file: 26500-26999.
const BASE = 26500;

/**
 * RFC 3261 §17.1.1.2: Timer B bounds only the Calling state. With the production T1 (500 ms, so
 * 64*T1 = 32 s) a callee that rings 45 s must still connect, and a 40 s ring timeout must end the
 * call by CANCEL, not by a silent transaction timeout.
 */
describe('outbound calls that ring longer than 64*T1', () => {
  let fx: EmbeddedFixture;

  beforeAll(async () => {
    fx = await startEmbedded(BASE, { sip: { t1_ms: 500, t2_ms: 4000, t4_ms: 5000 } });
  });
  afterAll(async () => fx?.stop());

  it('a callee ringing 45 s then answering connects (its 200 is ACKed); a 40 s ring timeout sends CANCEL', async () => {
    const answering = startSipp({
      scenario: 'uas-ring-45s-then-answer.xml',
      localPort: BASE + 1,
      timeoutMs: 70_000,
    });
    const ringing = startSipp({ scenario: 'uas-ring-no-answer.xml', localPort: BASE + 2, timeoutMs: 70_000 });
    await Promise.all([answering.ready, ringing.ready]);

    const [late, unanswered] = await Promise.all([
      fx.telephony.dial({ target: `sip:late@127.0.0.1:${BASE + 1}`, ringTimeoutMs: 60_000 }),
      fx.telephony.dial({ target: `sip:never@127.0.0.1:${BASE + 2}`, ringTimeoutMs: 40_000 }),
    ]);

    expect(unanswered).toEqual({ outcome: 'no-answer', status: 487 });
    if (late.outcome !== 'answered') throw new Error(`expected answered, got ${JSON.stringify(late)}`);
    await late.leg.hangup();
    const [a, r] = await Promise.all([answering.done, ringing.done]);
    expect(a.code, sippFailure(a)).toBe(0);
    expect(r.code, sippFailure(r)).toBe(0);
    // Timers D and M (64*T1 each) hold the two INVITE transactions for 32 s after their finals.
    expect(await fx.drained(40_000)).toMatchObject(NOTHING_LEFT);
  }, 150_000);
});
