/**
 * Live integration suite for the freeswitch backend: real drachtio-server + FreeSWITCH (given by
 * DRACHTIO_* / FREESWITCH_*), real sipp peers. Run with `npm run test:freeswitch`; skipped (with a
 * note on what is missing) when the variables are not set.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallLeg, DtmfEvent } from '../../src/telephony/port.js';
import { liveEnv } from './live-env.js';
import { runSipp, startLive, statusScenario, wavRms } from './live-rig.js';

const env = liveEnv();
type Live = Awaited<ReturnType<typeof startLive>>;
let live: Live;

describe.skipIf(!env)('freeswitch backend against live drachtio-server + FreeSWITCH', () => {
  const e = env!;
  beforeAll(async () => {
    live = await startLive(e, [
      {
        name: 'sipp',
        host: e.sippAddress,
        port: 5060,
        transport: 'udp',
        username: '',
        password: '',
        allow_refer: true,
        dtmf_method: 'rfc4733',
        caller_id: '+15550001000',
        inbound_allow: [],
        inbound_username: '',
        inbound_password: '',
      },
    ]);
  });
  afterAll(async () => {
    await live?.telephony.stop();
  });

  /** Routes the next inbound call to `user` through `flow`; resolves with what the flow returns. */
  function route<T>(user: string, flow: (leg: CallLeg) => Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      live.routes.set(user, async (call) => {
        try {
          await call.ring();
          const leg = await call.answer();
          resolve(await flow(leg));
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  }

  const uac = (scenario: string, user: string, pcap = 'g711a.pcap') =>
    runSipp(e, scenario, {
      remote: e.drachtioSip,
      service: user,
      keys: { pcap: path.join('/usr/share/sip-tester', pcap) },
    });

  it('answers, plays a tone and hangs up (sipp sees the BYE)', async () => {
    const flow = route('1001', async (leg) => {
      const out = await leg.play({ kind: 'tone', frequencies: [440], durationMs: 1000 });
      await leg.hangup();
      return out;
    });
    const sipp = uac('uac-invite-send-audio-expect-bye.xml', '1001');
    expect((await flow).status).toBe('completed');
    expect((await sipp.done).code).toBe(0);
  });

  it('records the caller: their audio is in the WAV', async () => {
    const file = path.join(e.sharedLocal, `rec-${process.pid}.wav`);
    const flow = route('1002', async (leg) => {
      const out = await leg.record({ path: file, maxDurationMs: 3000 });
      await leg.hangup();
      return out;
    });
    const sipp = uac('uac-invite-send-audio-expect-bye.xml', '1002');
    const out = await flow;
    expect(out.reason).toBe('max-duration');
    expect((await sipp.done).code).toBe(0);
    expect(wavRms(file)).toBeGreaterThan(300);
  });

  it('receives RFC 4733 DTMF from the caller', async () => {
    const flow = route('1003', async (leg) => {
      const digits: DtmfEvent[] = [];
      leg.on('dtmf', (d) => digits.push(d));
      await leg.play({ kind: 'silence', durationMs: 4000 });
      await leg.hangup();
      return digits;
    });
    const sipp = uac('uac-invite-send-audio-expect-bye.xml', '1003', 'dtmf_2833_1.pcap');
    expect((await flow).map((d) => d.digit)).toContain('1');
    expect((await sipp.done).code).toBe(0);
  });

  it('sends DTMF that the other end detects (loop through drachtio-server)', async () => {
    const heard = route('1004', async (leg) => {
      const digits: string[] = [];
      leg.on('dtmf', (d) => digits.push(d.digit));
      await leg.ended;
      return digits.join('');
    });
    const out = await live.telephony.dial({ target: `sip:1004@${e.drachtioSip}` });
    expect(out.outcome).toBe('answered');
    if (out.outcome !== 'answered') return;
    await out.leg.play({ kind: 'silence', durationMs: 500 });
    await out.leg.sendDtmf('42#', { durationMs: 120 });
    await out.leg.play({ kind: 'silence', durationMs: 1500 });
    await out.leg.hangup();
    expect(await heard).toBe('42#');
  });

  it.each([
    ['uac-invite-refer-notify-200-expect-bye.xml', { outcome: 'completed', status: 200 }],
    ['uac-invite-refer-reject-603-expect-bye.xml', { outcome: 'failed', stage: 'refer', status: 603 }],
    ['uac-invite-refer-accept-no-notify-expect-bye.xml', { outcome: 'timeout', stage: 'notify' }],
  ])('REFER: %s', async (scenario, expected) => {
    const flow = route('1005', async (leg) => {
      const out = await leg.refer('sip:agent@example.invalid', { notifyTimeoutMs: 3000 });
      await leg.hangup();
      return out;
    });
    const sipp = uac(scenario, '1005');
    expect(await flow).toMatchObject(expected);
    expect((await sipp.done).code).toBe(0);
  });

  it.each([
    [486, { outcome: 'busy', status: 486 }],
    [480, { outcome: 'no-answer', status: 480 }],
    [404, { outcome: 'rejected', status: 404 }],
  ])('outbound dial answered %i is typed', async (status, expected) => {
    const sipp = runSipp(e, statusScenario(e, status), {});
    await new Promise((r) => setTimeout(r, 300));
    const out = await live.telephony.dial({ target: `sip:svc@${e.sippAddress}:${sipp.port}` });
    expect(out).toMatchObject(expected);
    expect((await sipp.done).code).toBe(0);
  });

  it('outbound dial answered 200 gives a leg; hangup sends BYE', async () => {
    const sipp = runSipp(e, 'uas-answer-200-expect-bye.xml', {});
    await new Promise((r) => setTimeout(r, 300));
    const out = await live.telephony.dial({ target: `sip:svc@${e.sippAddress}:${sipp.port}` });
    expect(out.outcome).toBe('answered');
    if (out.outcome === 'answered') await out.leg.hangup();
    expect((await sipp.done).code).toBe(0);
  });

  it('bridge with whisper: the target hears the whisper, the caller does not, then both hear each other', async () => {
    const callerRec = path.join(e.sharedLocal, `caller-${process.pid}.wav`);
    const agentRec = path.join(e.sharedLocal, `agent-${process.pid}.wav`);
    // Far ends of two looped calls record what they hear.
    const callerSide = route('2001', async (leg) => leg.record({ path: callerRec, maxDurationMs: 4000 }));
    const caller = await live.telephony.dial({ target: `sip:2001@${e.drachtioSip}` });
    const agentSide = route('2002', async (leg) => leg.record({ path: agentRec, maxDurationMs: 4000 }));
    const agent = await live.telephony.dial({ target: `sip:2002@${e.drachtioSip}` });
    if (caller.outcome !== 'answered' || agent.outcome !== 'answered')
      throw new Error('loop calls not answered');
    await agent.leg.play({ kind: 'tone', frequencies: [1000], durationMs: 1500 }); // the whisper
    await caller.leg.bridge(agent.leg);
    await Promise.all([callerSide, agentSide]);
    await Promise.all([caller.leg.hangup(), agent.leg.hangup()]);
    expect(wavRms(agentRec, 0.2, 1.4)).toBeGreaterThan(300);
    expect(wavRms(callerRec, 0.2, 1.4)).toBeLessThan(100);
  });
});
