import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallLeg, DialOutcome } from '../../../src/telephony/port.js';
import { startSipp, sippFailure, type SippOptions } from '../../helpers/sipp.js';
import { NOTHING_LEFT, startEmbedded, type EmbeddedFixture } from './embedded-fixture.js';
import { RawSipClient } from './raw-sip-client.js';

// Port block for this file: 21000-21499.
const BASE = 21000;
const TRUNK_PORT = BASE + 6;
const NO_REFER_PORT = BASE + 13;

function answeredLeg(outcome: DialOutcome): CallLeg {
  if (outcome.outcome !== 'answered') throw new Error(`expected answered, got ${JSON.stringify(outcome)}`);
  return outcome.leg;
}

describe('outbound dials and REFER against sipp', () => {
  let fx: EmbeddedFixture;

  beforeAll(async () => {
    fx = await startEmbedded(BASE, {
      sip: {
        trunks: [
          {
            name: 'carrier',
            host: '127.0.0.1',
            port: TRUNK_PORT,
            transport: 'udp',
            username: 'trunkuser',
            password: 'pw',
          },
          { name: 'norefer', host: '127.0.0.1', port: NO_REFER_PORT, transport: 'udp', allow_refer: false },
        ],
      },
    });
  });
  afterAll(async () => fx?.stop());

  async function withPeer(
    scenario: string,
    port: number,
    run: (uri: string) => Promise<void>,
    extra: Partial<SippOptions> = {},
  ) {
    const peer = startSipp({ scenario, localPort: port, mediaPort: port + 200, timeoutMs: 20_000, ...extra });
    await peer.ready;
    try {
      await run(`sip:service@127.0.0.1:${port}`);
    } finally {
      const result = await peer.done;
      expect(result.code, sippFailure(result)).toBe(0);
    }
  }

  it('answered: the peer answers, the server hangs up with BYE', async () => {
    await withPeer('uas-answer-wait-bye.xml', BASE + 1, async (uri) => {
      const leg = answeredLeg(
        await fx.telephony.dial({ target: uri, callerId: '+14155550199', headers: { 'X-Campaign': 'c1' } }),
      );
      expect(leg.info.direction).toBe('outbound');
      await leg.hangup();
      expect(await leg.ended).toEqual({ by: 'local', cause: 'normal' });
    });
  });

  it('answered over TCP when the target says transport=tcp', async () => {
    await withPeer(
      'uas-answer-wait-bye.xml',
      BASE + 11,
      async (uri) => {
        const leg = answeredLeg(await fx.telephony.dial({ target: `${uri};transport=tcp` }));
        await leg.hangup();
      },
      { transport: 'tcp' },
    );
  });

  it('sends caller id, display name and custom headers in the INVITE', async () => {
    const uas = await RawSipClient.open('127.0.0.1', BASE + 12);
    try {
      const outcome = fx.telephony.dial({
        target: `sip:bob@127.0.0.1:${BASE + 12}`,
        callerId: '+14155550199',
        callerName: 'Callwright Sales',
        headers: { 'X-Campaign': 'spring' },
      });
      for (let i = 0; i < 50 && uas.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      const invite = uas.requests[0] ?? '';
      expect(invite).toMatch(/^INVITE sip:bob@127\.0\.0\.1:\d+ SIP\/2\.0\r\n/);
      expect(invite).toMatch(/^From: "Callwright Sales" <sip:\+14155550199@127\.0\.0\.1>;tag=/m);
      expect(invite).toMatch(/^X-Campaign: spring\r$/m);
      // Answer 486 by echoing the INVITE's dialog headers.
      const pick = (name: string): string => new RegExp(`^${name}: .*$`, 'm').exec(invite)?.[0] ?? '';
      const reply = [
        'SIP/2.0 486 Busy Here',
        pick('Via'),
        pick('From'),
        `${pick('To')};tag=uas1`,
        pick('Call-ID'),
        pick('CSeq'),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      await uas.send(reply.replace(/\r\r/g, '\r'), { host: '127.0.0.1', port: fx.telephony.port }, 50);
      expect(await outcome).toEqual({ outcome: 'busy', status: 486 });
    } finally {
      uas.close();
    }
  });

  it('a CANCEL the callee never answers ends the dial as no-answer 64·T1 later (RFC 3261 §9.1)', async () => {
    const uas = await RawSipClient.open('127.0.0.1', BASE + 14);
    try {
      const started = Date.now();
      const outcome = fx.telephony.dial({ target: `sip:bob@127.0.0.1:${BASE + 14}`, ringTimeoutMs: 300 });
      for (let i = 0; i < 50 && uas.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      const invite = uas.requests[0] ?? '';
      const pick = (name: string): string => new RegExp(`^${name}: .*$`, 'm').exec(invite)?.[0] ?? '';
      const ringing = [
        'SIP/2.0 180 Ringing',
        pick('Via'),
        pick('From'),
        `${pick('To')};tag=uas14`,
        pick('Call-ID'),
        pick('CSeq'),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      await uas.send(ringing.replace(/\r\r/g, '\r'), { host: '127.0.0.1', port: fx.telephony.port }, 50);
      // The CANCEL comes and is never answered, nor is the INVITE: T1 is 100 ms here, so 64·T1 = 6.4 s.
      expect(await outcome).toEqual({ outcome: 'no-answer' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(64 * 100);
      expect(uas.requests.some((r) => r.startsWith('CANCEL '))).toBe(true);
    } finally {
      uas.close();
    }
  }, 15_000);

  it('busy: 486 gives busy(486)', async () => {
    await withPeer('uas-busy-486.xml', BASE + 2, async (uri) => {
      expect(await fx.telephony.dial({ target: uri })).toEqual({ outcome: 'busy', status: 486 });
    });
  });

  it('rejected: 603 gives rejected(603)', async () => {
    await withPeer('uas-decline-603.xml', BASE + 3, async (uri) => {
      expect(await fx.telephony.dial({ target: uri })).toMatchObject({ outcome: 'rejected', status: 603 });
    });
  });

  it('no-answer: the ring timeout sends CANCEL and gives no-answer', async () => {
    await withPeer('uas-ring-no-answer.xml', BASE + 4, async (uri) => {
      expect(await fx.telephony.dial({ target: uri, ringTimeoutMs: 1000 })).toEqual({
        outcome: 'no-answer',
        status: 487,
      });
    });
  });

  it('timeout: a peer that never answers at all gives timeout (Timer B)', async () => {
    expect(await fx.telephony.dial({ target: `sip:nobody@127.0.0.1:${BASE + 99}` })).toEqual({
      outcome: 'timeout',
    });
  }, 15_000);

  it('digest: an E.164 dial through a trunk answers the 401 challenge', async () => {
    await withPeer('uas-digest-challenge.xml', TRUNK_PORT, async () => {
      const leg = answeredLeg(await fx.telephony.dial({ target: '+14155550100', trunk: 'carrier' }));
      expect(leg.info.trunk).toBe('carrier');
      await leg.hangup();
    });
  });

  it('sends DTMF by SIP INFO that the peer checks digit by digit', async () => {
    await withPeer('uas-expect-dtmf-info.xml', BASE + 5, async (uri) => {
      const leg = answeredLeg(await fx.telephony.dial({ target: uri }));
      await leg.sendDtmf('42', { method: 'info', durationMs: 50 });
      await leg.hangup();
    });
  });

  it('REFER completed(200), with NOTIFY progress 100 then 200 reported', async () => {
    await withPeer('uas-refer-accept-notify-200.xml', BASE + 7, async (uri) => {
      const leg = answeredLeg(await fx.telephony.dial({ target: uri }));
      const progress: number[] = [];
      leg.on('refer-progress', (p) => progress.push(p.status));
      expect(await leg.refer('sip:agent@127.0.0.1:9')).toEqual({ outcome: 'completed', status: 200 });
      expect(progress).toEqual([100, 200]);
      await leg.hangup('transferred');
    });
  });

  it('REFER rejected with 603 gives failed(refer, 603)', async () => {
    await withPeer('uas-refer-reject-603.xml', BASE + 8, async (uri) => {
      const leg = answeredLeg(await fx.telephony.dial({ target: uri }));
      expect(await leg.refer('sip:agent@127.0.0.1:9')).toMatchObject({
        outcome: 'failed',
        stage: 'refer',
        status: 603,
      });
      await leg.hangup();
    });
  });

  it('REFER accepted but a NOTIFY 486 gives failed(notify, 486)', async () => {
    await withPeer('uas-refer-accept-notify-486.xml', BASE + 9, async (uri) => {
      const leg = answeredLeg(await fx.telephony.dial({ target: uri }));
      expect(await leg.refer('sip:agent@127.0.0.1:9')).toMatchObject({
        outcome: 'failed',
        stage: 'notify',
        status: 486,
      });
      await leg.hangup();
    });
  });

  it('REFER accepted but never NOTIFYed gives timeout(notify)', async () => {
    await withPeer('uas-refer-accept-no-notify.xml', BASE + 10, async (uri) => {
      const leg = answeredLeg(await fx.telephony.dial({ target: uri }));
      expect(await leg.refer('sip:agent@127.0.0.1:9', { notifyTimeoutMs: 1000 })).toEqual({
        outcome: 'timeout',
        stage: 'notify',
      });
      await leg.hangup();
    });
  });

  it('refer() on a trunk with allow_refer: false is refused and no REFER reaches the peer', async () => {
    await withPeer('uas-answer-wait-bye.xml', NO_REFER_PORT, async () => {
      const leg = answeredLeg(await fx.telephony.dial({ target: '+14155550100', trunk: 'norefer' }));
      expect(leg.info.trunk).toBe('norefer');
      // sipp fails the call on any message its scenario does not expect, so a REFER would show below.
      expect(await leg.refer('sip:agent@127.0.0.1:9')).toEqual({
        outcome: 'refused',
        reason: 'trunk-disallows-refer',
        trunk: 'norefer',
      });
      await expect(leg.sendDtmf('12x')).rejects.toMatchObject({
        code: 'VALIDATION',
        message:
          'digits: got "12x", "x" is not allowed; expected digits 0-9, A-D, * and #, with w (500 ms) and W (1 s) pauses',
      });
      await leg.hangup();
    });
  });

  it('leaves no calls, dialogs, transactions or timers behind', async () => {
    const stats = await fx.drained();
    expect(stats).toMatchObject(NOTHING_LEFT);
  });
});
