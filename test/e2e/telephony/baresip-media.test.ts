import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallLeg, DialOutcome, DtmfEvent } from '../../../src/telephony/port.js';
import { Baresip } from '../../helpers/baresip.js';
import { sippFailure, startSipp } from '../../helpers/sipp.js';
import { tempDir } from '../../helpers/temp.js';
import {
  bestCorrelation,
  readWav,
  signatureSamples,
  toneSamples,
  toneShare,
  writeWav,
} from './audio-analysis.js';
import { NOTHING_LEFT, startEmbedded, type EmbeddedFixture } from './embedded-fixture.js';

// Port block for this file: 22500-22999 (baresip peers at 22500, 22550, 22600; RTP of the server 22600+).
const BASE = 22500;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function answered(o: DialOutcome): CallLeg {
  if (o.outcome !== 'answered') throw new Error(`expected answered, got ${JSON.stringify(o)}`);
  return o.leg;
}

/** The recording of what baresip heard (sndfile's -dec.wav) once the call closed. */
function heard(peer: Baresip): Int16Array {
  const file = peer.recordings().find((f) => f.endsWith('-dec.wav'));
  if (!file) throw new Error(`baresip wrote no recording in ${peer.dir}:\n${peer.log.slice(-1000)}`);
  return readWav(file);
}

describe('baresip peers: DTMF, playback, bridge and whisper', () => {
  let fx: EmbeddedFixture;
  const tmp = tempDir('callwright-bs-');
  const peers: Baresip[] = [];

  async function peer(sipPort: number, sourceWav?: string): Promise<Baresip> {
    const p = new Baresip({ sipPort, ...(sourceWav ? { sourceWav } : {}) });
    peers.push(p);
    await p.start();
    return p;
  }

  async function closeAll(): Promise<void> {
    for (const p of peers.splice(0)) await p.stop();
  }

  beforeAll(async () => {
    // Server RTP on BASE+200..: keep clear of the peers' ports (BASE..BASE+199).
    fx = await startEmbedded(BASE, { media: { rtp_port_min: BASE + 300, rtp_port_max: BASE + 499 } });
  });
  afterAll(async () => {
    await closeAll();
    await fx?.stop();
    tmp.cleanup();
  });

  it('reports digits baresip sends (RFC 4733) and baresip sees digits the server sends', async () => {
    const digits: DtmfEvent[] = [];
    let serverLeg: CallLeg | undefined;
    fx.telephony.onInbound(async (call) => {
      serverLeg = await call.answer();
      serverLeg.on('dtmf', (d) => digits.push(d));
    });
    const b = await peer(BASE);
    try {
      b.command('dial', `sip:1000@${fx.target}`);
      await b.waitFor('CALL_ESTABLISHED');
      await sleep(300);
      b.command('sndcode', '4');
      await sleep(400);
      b.command('sndcode', '#');
      await sleep(600);
      await serverLeg?.sendDtmf('91*', { method: 'rfc4733' });
      await sleep(300);
      b.command('hangup');
      await b.waitFor('CALL_CLOSED');
      expect(digits.map((d) => [d.digit, d.method])).toEqual([
        ['4', 'rfc4733'],
        ['#', 'rfc4733'],
      ]);
      expect(b.receivedDigits()).toBe('91*');
    } finally {
      await closeAll();
    }
  }, 30_000);

  it('plays a WAV to baresip that arrives intact (its recording correlates with the source)', async () => {
    const wav = path.join(tmp.dir, 'signature.wav');
    const signature = signatureSamples(2);
    writeWav(wav, signature);
    const b = await peer(BASE + 50);
    try {
      const leg = answered(await fx.telephony.dial({ target: b.uri }));
      const played = await leg.play({ kind: 'file', path: wav });
      expect(played.status).toBe('completed');
      await leg.hangup();
      await b.waitFor('CALL_CLOSED');
      const recording = heard(b);
      const probe = signature.subarray(4000, 12000);
      expect(bestCorrelation(recording, probe, 1).score).toBeGreaterThan(0.9);
    } finally {
      await closeAll();
    }
  }, 30_000);

  it('bridges two baresip peers so each hears the other', async () => {
    const a440 = path.join(tmp.dir, 'a440.wav');
    const b1000 = path.join(tmp.dir, 'b1000.wav');
    writeWav(a440, toneSamples(440, 20));
    writeWav(b1000, toneSamples(1000, 20));
    const a = await peer(BASE + 100, a440);
    const b = await peer(BASE + 150, b1000);
    try {
      const legA = answered(await fx.telephony.dial({ target: a.uri }));
      const legB = answered(await fx.telephony.dial({ target: b.uri }));
      await legA.bridge(legB);
      await sleep(2000);
      await legA.hangup();
      await legB.hangup();
      await a.waitFor('CALL_CLOSED');
      await b.waitFor('CALL_CLOSED');
      const heardByA = heard(a);
      const heardByB = heard(b);
      expect(toneShare(heardByA, 1000)).toBeGreaterThan(0.3);
      expect(toneShare(heardByA, 440)).toBeLessThan(0.05);
      expect(toneShare(heardByB, 440)).toBeGreaterThan(0.3);
      expect(toneShare(heardByB, 1000)).toBeLessThan(0.05);
    } finally {
      await closeAll();
    }
  }, 40_000);

  it('whispers to the target only: the held party never hears the prompt', async () => {
    const prompt = path.join(tmp.dir, 'whisper1800.wav');
    writeWav(prompt, toneSamples(1800, 1.5));
    const caller = await peer(BASE + 100);
    const agent = await peer(BASE + 150);
    try {
      const callerLeg = answered(await fx.telephony.dial({ target: caller.uri }));
      const agentLeg = answered(await fx.telephony.dial({ target: agent.uri }));
      await callerLeg.hold();
      expect((await agentLeg.play({ kind: 'file', path: prompt })).status).toBe('completed');
      await callerLeg.unhold();
      await callerLeg.bridge(agentLeg);
      await sleep(500);
      await callerLeg.hangup();
      await agentLeg.hangup();
      await caller.waitFor('CALL_CLOSED');
      await agent.waitFor('CALL_CLOSED');
      expect(toneShare(heard(agent), 1800)).toBeGreaterThan(0.2);
      expect(toneShare(heard(caller), 1800)).toBeLessThan(0.01);
    } finally {
      await closeAll();
    }
  }, 40_000);

  it('transfers a baresip caller by REFER to a sipp transfer target: completed(200)', async () => {
    const target = startSipp({
      scenario: 'uas-answer-wait-bye.xml',
      localPort: BASE + 200,
      mediaPort: BASE + 210,
      timeoutMs: 20_000,
    });
    await target.ready;
    const b = await peer(BASE + 50);
    try {
      const leg = answered(await fx.telephony.dial({ target: b.uri }));
      const progress: number[] = [];
      leg.on('refer-progress', (p) => progress.push(p.status));
      expect(await leg.refer(`sip:transfer@127.0.0.1:${BASE + 200}`, { notifyTimeoutMs: 10_000 })).toEqual({
        outcome: 'completed',
        status: 200,
      });
      expect(progress).toContain(200);
      await leg.hangup('transferred');
      await sleep(300);
    } finally {
      await closeAll(); // baresip hangs up the transferred call as it quits
      const result = await target.done;
      expect(result.code, sippFailure(result)).toBe(0);
    }
  }, 40_000);

  it('leaves nothing behind', async () => {
    const stats = await fx.drained();
    expect(stats).toMatchObject(NOTHING_LEFT);
  });
});
