/**
 * Live integration suite for the freeswitch backend: real drachtio-server + FreeSWITCH (given by
 * DRACHTIO_* / FREESWITCH_*), real sipp peers. Run with `npm run test:freeswitch`; skipped (with a
 * note on what is missing) when the variables are not set.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallLeg, DtmfEvent } from '../../src/telephony/port.js';
import { Baresip } from '../helpers/baresip.js';
import { tempDir } from '../helpers/temp.js';
import { readWav, toneSamples, toneShare, writeWav } from '../e2e/telephony/audio-analysis.js';
import { liveEnv } from './live-env.js';
import { runSipp, startLive, statusScenario, wavRms } from './live-rig.js';

const env = liveEnv();
/**
 * Far ends that must detect DTMF or record what they hear are baresip peers, not calls looped back
 * through drachtio-server: drachtio-server refuses to send a request to its own SIP address ("can not
 * send request to myself"). Peers use 33600-33799 (sipp takes 32100-33599 through live-rig's ports()).
 */
const BARESIP_BASE = 33600;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
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

  const peers: Baresip[] = [];
  async function peer(sipPort: number, sourceWav?: string): Promise<Baresip> {
    const p = new Baresip({ sipPort, ...(sourceWav ? { sourceWav } : {}) });
    peers.push(p);
    await p.start();
    return p;
  }
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.stop();
  });

  /** What a baresip peer heard, once its call closed. */
  function heard(p: Baresip): Int16Array {
    const file = p.recordings().find((f) => f.endsWith('-dec.wav'));
    if (!file) throw new Error(`baresip wrote no recording in ${p.dir}:\n${p.log.slice(-1000)}`);
    return readWav(file);
  }

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

  it('sends RFC 4733 DTMF that a baresip callee detects', async () => {
    const b = await peer(BARESIP_BASE);
    const out = await live.telephony.dial({ target: b.uri });
    expect(out.outcome).toBe('answered');
    if (out.outcome !== 'answered') return;
    await b.waitFor('CALL_ESTABLISHED');
    await out.leg.play({ kind: 'silence', durationMs: 500 });
    await out.leg.sendDtmf('42#', { durationMs: 120 });
    await out.leg.play({ kind: 'silence', durationMs: 1500 });
    await out.leg.hangup();
    await b.waitFor('CALL_CLOSED');
    expect(b.receivedDigits()).toBe('42#');
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
    const tones = tempDir('callwright-fs-live-');
    try {
      const caller440 = path.join(tones.dir, 'caller440.wav');
      const agent1000 = path.join(tones.dir, 'agent1000.wav');
      writeWav(caller440, toneSamples(440, 30));
      writeWav(agent1000, toneSamples(1000, 30));
      // baresip peers record what they hear (sndfile's -dec.wav).
      const callerPeer = await peer(BARESIP_BASE + 50, caller440);
      const agentPeer = await peer(BARESIP_BASE + 100, agent1000);
      const caller = await live.telephony.dial({ target: callerPeer.uri });
      const agent = await live.telephony.dial({ target: agentPeer.uri });
      if (caller.outcome !== 'answered' || agent.outcome !== 'answered')
        throw new Error(`calls not answered: ${caller.outcome}, ${agent.outcome}`);
      const whisper = await agent.leg.play({ kind: 'tone', frequencies: [1800], durationMs: 1500 });
      expect(whisper.status).toBe('completed');
      await caller.leg.bridge(agent.leg);
      await sleep(2000);
      await Promise.all([caller.leg.hangup(), agent.leg.hangup()]);
      await Promise.all([callerPeer.waitFor('CALL_CLOSED'), agentPeer.waitFor('CALL_CLOSED')]);
      const heardByAgent = heard(agentPeer);
      const heardByCaller = heard(callerPeer);
      expect(toneShare(heardByAgent, 1800)).toBeGreaterThan(0.1);
      expect(toneShare(heardByCaller, 1800)).toBeLessThan(0.01);
      expect(toneShare(heardByAgent, 440)).toBeGreaterThan(0.1);
      expect(toneShare(heardByCaller, 1000)).toBeGreaterThan(0.1);
    } finally {
      tones.cleanup();
    }
  });
});
