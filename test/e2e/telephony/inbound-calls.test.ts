import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSipp, sippFailure } from '../../helpers/sipp.js';
import { NOTHING_LEFT, startEmbedded, type EmbeddedFixture } from './embedded-fixture.js';

// Port block for this file: 20000-20499.
const BASE = 20000;

describe('inbound calls from sipp', () => {
  let fx: EmbeddedFixture;
  let answered = 0;

  beforeAll(async () => {
    fx = await startEmbedded(BASE);
    fx.telephony.onInbound(async (call) => {
      await call.ring();
      const leg = await call.answer();
      answered++;
      await leg.ended;
    });
  });
  afterAll(async () => fx?.stop());

  it('answers 200 calls at 20 calls/s and tears every one down, leaving nothing behind', async () => {
    answered = 0;
    const result = await runSipp({
      scenario: 'uac-invite-answer-hangup.xml',
      remote: fx.target,
      service: '+14155550100',
      localPort: BASE + 1,
      mediaPort: BASE + 50,
      calls: 200,
      rate: 20,
      extraArgs: ['-d', '500'],
      timeoutMs: 60_000,
    });
    expect(result.code, sippFailure(result)).toBe(0);
    expect(answered).toBe(200);
    const stats = await fx.drained();
    expect(stats).toMatchObject(NOTHING_LEFT);
  }, 90_000);

  it('completes calls while sipp drops 10% of messages (retransmissions)', async () => {
    answered = 0;
    const result = await runSipp({
      scenario: 'uac-invite-answer-hangup.xml',
      remote: fx.target,
      service: '+14155550100',
      localPort: BASE + 2,
      mediaPort: BASE + 52,
      calls: 30,
      rate: 10,
      lostPercent: 10,
      extraArgs: ['-d', '300'],
      timeoutMs: 60_000,
    });
    expect(result.code, sippFailure(result)).toBe(0);
    const stats = await fx.drained(20_000);
    expect(stats).toMatchObject({ activeCalls: 0, activeDialogs: 0, transactions: 0 });
  }, 90_000);

  it('serves the same scenario over TCP', async () => {
    const result = await runSipp({
      scenario: 'uac-invite-answer-hangup.xml',
      remote: fx.target,
      service: '+14155550100',
      localPort: BASE + 3,
      mediaPort: BASE + 54,
      calls: 5,
      rate: 5,
      transport: 'tcp',
      extraArgs: ['-d', '200'],
    });
    expect(result.code, sippFailure(result)).toBe(0);
  }, 60_000);
});
