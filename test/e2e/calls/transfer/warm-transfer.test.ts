import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { Baresip } from '../../../helpers/baresip.js';
import { tone, writeWav } from '../../../helpers/audio.js';
import { createSpeechSynthesizer } from '../../../../src/speech/index.js';
import { decodeWav } from '../../../../src/telephony/embedded/media/index.js';
import { startFlowRig, type FlowRig, type LiveCall } from './flow-fixture.js';

// Port block for this file: 36500-36999 (baresip 36510.., 36560..; RTP 36600-36999).
const BASE = 36500;
const WHISPER = 'Incoming transfer. The caller needs help with a wrong invoice.';
const CALLER_HZ = 440;
const TARGET_HZ = 1300;

/** A WAV baresip recorded, as 8 kHz mono samples. */
function readRecording(file: string): Int16Array {
  const wav = new wavefile.WaveFile(readFileSync(file));
  wav.toBitDepth('16');
  if ((wav.fmt as { sampleRate: number }).sampleRate !== 8000) wav.toSampleRate(8000);
  const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array | Int16Array[];
  return Array.isArray(samples) ? (samples[0] as Int16Array) : samples;
}

function received(peer: Baresip): Int16Array {
  const file = peer.recordings().find((f) => path.basename(f).includes('dec'));
  if (!file) throw new Error(`baresip recorded nothing received: ${peer.recordings().join(', ')}`);
  return readRecording(file);
}

/** Share of a window's energy at `hz` (Goertzel over the window, normalised by total energy). */
function toneShare(x: Int16Array, from: number, to: number, hz: number): number {
  const n = to - from;
  const k = (2 * Math.PI * hz) / 8000;
  const c = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  let total = 0;
  for (let i = from; i < to; i++) {
    const v = (x[i] ?? 0) / 32768;
    const s0 = v + c * s1 - s2;
    s2 = s1;
    s1 = s0;
    total += v * v;
  }
  const power = (s1 * s1 + s2 * s2 - c * s1 * s2) / n;
  return total > 0 ? (2 * power) / total : 0;
}

/** Best normalised correlation of a reference slice against the signal at any lag. */
function bestMatch(reference: Int16Array, signal: Int16Array): number {
  const n = reference.length;
  let rr = 0;
  for (let i = 0; i < n; i += 2) rr += (reference[i] as number) ** 2;
  let best = 0;
  for (let lag = 0; lag + n <= signal.length; lag += 2) {
    let xy = 0;
    let yy = 0;
    for (let i = 0; i < n; i += 2) {
      const y = signal[lag + i] as number;
      xy += (reference[i] as number) * y;
      yy += y * y;
    }
    const c = yy > 0 ? xy / Math.sqrt(rr * yy) : 0;
    if (c > best) best = c;
  }
  return best;
}

/** The loudest half second of the whisper, the part most worth looking for. */
function whisperSlice(whisper: Int16Array): Int16Array {
  let bestAt = 0;
  let bestEnergy = -1;
  for (let at = 0; at + 4000 <= whisper.length; at += 400) {
    let e = 0;
    for (let i = at; i < at + 4000; i++) e += (whisper[i] as number) ** 2;
    if (e > bestEnergy) [bestEnergy, bestAt] = [e, at];
  }
  return whisper.slice(bestAt, bestAt + 4000);
}

describe('warm transfer on the embedded backend with baresip', () => {
  let rig: FlowRig;
  let whisper: Int16Array;
  let peers: Baresip[] = [];

  beforeAll(async () => {
    rig = await startFlowRig(BASE);
    writeWav(path.join(rig.dir, 'caller.wav'), tone(8000, 40, CALLER_HZ, 0.3), { sampleRate: 8000 });
    writeWav(path.join(rig.dir, 'target.wav'), tone(8000, 40, TARGET_HZ, 0.3), { sampleRate: 8000 });
    rig.store.agents.update(rig.agentId, {
      targets: { desk: { type: 'sip', uri: `sip:desk@127.0.0.1:${BASE + 60}` } },
    });
    rig.attach(
      'warm-desk',
      'warm-transfer',
      { target: 'desk', whisper: WHISPER, confirm: true, confirm_timeout_ms: 8000, ring_timeout_ms: 8000 },
      [{ kind: 'dtmf', digits: '1' }],
    );
    const speech = createSpeechSynthesizer(rig.config.speech, rig.dir);
    whisper = decodeWav(readFileSync(await speech.synthesize({ text: WHISPER })));
  });
  afterEach(async () => {
    for (const p of peers) await p.stop();
    peers = [];
  });
  afterAll(async () => rig?.stop());

  async function callAndTransfer(
    targetKey: '1' | '2',
  ): Promise<{ call: LiveCall; caller: Baresip; target: Baresip }> {
    const caller = new Baresip({
      sipPort: BASE + 10,
      sourceWav: path.join(rig.dir, 'caller.wav'),
      user: 'caller',
    });
    const target = new Baresip({
      sipPort: BASE + 60,
      sourceWav: path.join(rig.dir, 'target.wav'),
      user: 'desk',
    });
    peers = [caller, target];
    await caller.start();
    await target.start();
    const answered = rig.nextCall();
    caller.command('dial', `sip:1000@${rig.target}`);
    await caller.waitFor('CALL_ESTABLISHED');
    const call = await answered;
    await new Promise((r) => setTimeout(r, 500));
    caller.command('sndcode', '1');
    await target.waitFor('CALL_ESTABLISHED', 10_000);
    // The question follows the whisper; answer once both have been heard.
    await new Promise((r) => setTimeout(r, (whisper.length / 8000) * 1000 + 2500));
    target.command('sndcode', targetKey);
    await expect.poll(() => call.results.length, { timeout: 5000 }).toBe(1);
    return { call, caller, target };
  }

  it('the target hears the whisper, the caller does not; once accepted (1) both hear each other', async () => {
    const { call, caller, target } = await callAndTransfer('1');
    const stage = await call.results[0];
    expect(stage?.runs[0]).toMatchObject({
      status: 'succeeded',
      outputs: { result: 'connected', confirmed: true, whisper: { played: true, text: WHISPER } },
    });
    await new Promise((r) => setTimeout(r, 3000));
    caller.command('hangup');
    await caller.waitFor('CALL_CLOSED');
    // The agent has left: the caller's hang-up ends the target's call too.
    await target.waitFor('CALL_CLOSED', 5000);
    await new Promise((r) => setTimeout(r, 300));

    const atCaller = received(caller);
    const atTarget = received(target);
    const slice = whisperSlice(whisper);
    const whisperAtTarget = bestMatch(slice, atTarget);
    const whisperAtCaller = bestMatch(slice, atCaller);
    expect(whisperAtTarget, 'whisper in the target recording').toBeGreaterThan(0.6);
    expect(whisperAtCaller, 'whisper in the caller recording').toBeLessThan(0.3);
    // The last 1.5 s (bridged): each hears the other's tone.
    const end = (x: Int16Array) => [x.length - 12000 - 2400, x.length - 2400] as const;
    expect(toneShare(atCaller, ...end(atCaller), TARGET_HZ), 'target tone at the caller').toBeGreaterThan(
      0.5,
    );
    expect(toneShare(atTarget, ...end(atTarget), CALLER_HZ), 'caller tone at the target').toBeGreaterThan(
      0.5,
    );
    console.log(
      `warm transfer: whisper correlation target ${whisperAtTarget.toFixed(2)} caller ${whisperAtCaller.toFixed(2)}`,
    );
  }, 60_000);

  it('a target that declines (2) is released and the caller returns to the agent', async () => {
    const { call, caller, target } = await callAndTransfer('2');
    const stage = await call.results[0];
    expect(stage?.runs[0]).toMatchObject({
      status: 'failed',
      error: { code: 'TRANSFER_FAILED', message: expect.stringMatching(/failed: declined$/) },
    });
    await target.waitFor('CALL_CLOSED', 5000);
    expect(call.leg.active).toBe(true);
    const row = rig.store.calls.require(call.callId);
    expect(row.transfer).toMatchObject({
      kind: 'warm',
      result: 'failed',
      reason: 'declined',
      confirmed: false,
    });
    // Back with the agent: what the agent plays reaches the caller again.
    const back = await call.leg.play({ kind: 'tone', frequencies: [900], durationMs: 1500 });
    expect(back.status).toBe('completed');
    caller.command('hangup');
    await caller.waitFor('CALL_CLOSED');
    await new Promise((r) => setTimeout(r, 300));
    const atCaller = received(caller);
    expect(toneShare(atCaller, atCaller.length - 12000 - 4000, atCaller.length - 4000, 900)).toBeGreaterThan(
      0.5,
    );
  }, 60_000);
});
