import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallLeg, DtmfEvent } from '../../../src/telephony/port.js';
import { runSipp, sippFailure } from '../../helpers/sipp.js';
import { startEmbedded, type EmbeddedFixture } from './embedded-fixture.js';

// Port block for this file: 20500-20999.
const BASE = 20500;

describe('DTMF and hold from sipp', () => {
  let fx: EmbeddedFixture;
  let digits: DtmfEvent[] = [];
  let holds: boolean[] = [];
  let lastLeg: CallLeg | undefined;

  beforeAll(async () => {
    fx = await startEmbedded(BASE);
    fx.telephony.onInbound(async (call) => {
      const leg = await call.answer();
      lastLeg = leg;
      leg.on('dtmf', (d) => digits.push(d));
      leg.on('remote-hold', (h) => holds.push(h.held));
    });
  });
  afterAll(async () => fx?.stop());

  it('reports digits sent by SIP INFO (dtmf-relay and dtmf bodies)', async () => {
    digits = [];
    const result = await runSipp({
      scenario: 'uac-invite-dtmf-info.xml',
      remote: fx.target,
      service: '1000',
      localPort: BASE + 1,
      mediaPort: BASE + 10,
    });
    expect(result.code, sippFailure(result)).toBe(0);
    expect(digits).toEqual([
      { digit: '5', method: 'info', durationMs: 160 },
      { digit: '7', method: 'info' },
    ]);
  });

  it('reports * and # sent by SIP INFO as Signal=10 and Signal=11 (answered 200, not 415)', async () => {
    digits = [];
    const result = await runSipp({
      scenario: 'uac-invite-dtmf-info-signal-10-11.xml',
      remote: fx.target,
      service: '1000',
      localPort: BASE + 4,
      mediaPort: BASE + 16,
    });
    expect(result.code, sippFailure(result)).toBe(0);
    expect(digits).toEqual([
      { digit: '*', method: 'info', durationMs: 160 },
      { digit: '#', method: 'info', durationMs: 160 },
    ]);
  });

  it('reports an RFC 2833 digit played from the sipp pcap', async () => {
    digits = [];
    const result = await runSipp({
      scenario: 'uac-invite-dtmf-rfc2833.xml',
      remote: fx.target,
      service: '1000',
      localPort: BASE + 2,
      mediaPort: BASE + 12,
    });
    expect(result.code, sippFailure(result)).toBe(0);
    expect(digits.map((d) => [d.digit, d.method])).toEqual([['1', 'rfc4733']]);
  });

  it('answers hold with recvonly and unhold with sendrecv, reporting remote-hold both ways', async () => {
    holds = [];
    const result = await runSipp({
      scenario: 'uac-invite-hold-unhold.xml',
      remote: fx.target,
      service: '1000',
      localPort: BASE + 3,
      mediaPort: BASE + 14,
    });
    expect(result.code, sippFailure(result)).toBe(0);
    expect(holds).toEqual([true, false]);
    expect(lastLeg?.active).toBe(false);
    const stats = await fx.drained();
    expect(stats).toMatchObject({ activeCalls: 0, activeDialogs: 0, transactions: 0, timers: 0 });
  });
});
