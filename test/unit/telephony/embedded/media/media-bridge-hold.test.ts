import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../helpers/temp.js';
import {
  chirp,
  median,
  readWav8kMono,
  rms,
  segmentCorrelations,
  toInt16,
  writeWav,
} from '../../../../helpers/audio.js';

/** Median per-segment normalised cross-correlation of the source in what was heard. */
function heard(reference: Int16Array, signal: Int16Array): number {
  return median(segmentCorrelations(reference, signal));
}
import { connectedPair, loopbackEngine } from './media-helpers.js';
import type { RtpMediaEngine } from '../../../../../src/telephony/embedded/media/index.js';
import { generateHoldChime } from '../../../../../src/telephony/embedded/media/audio-source.js';

// RTP ports of this file: 25300-25499.
describe('bridge, hold and whisper', () => {
  let engine: RtpMediaEngine;
  const tmp = tempDir('callwright-bridge-');
  const up = path.join(tmp.dir, 'up.wav');
  const down = path.join(tmp.dir, 'down.wav');
  beforeAll(() => {
    engine = loopbackEngine(25300, 25499);
    writeWav(up, chirp(16000, 1.5, 300, 2400), { sampleRate: 16000 });
    writeWav(down, chirp(8000, 1.5, 2400, 300), { sampleRate: 8000 });
  });
  afterAll(async () => {
    await engine.close();
    tmp.cleanup();
  });

  /** caller A ↔ B (our leg 1) bridged with C (our leg 2) ↔ D callee. */
  async function bridgedCall() {
    const [a, b] = await connectedPair(engine);
    const [c, d] = await connectedPair(engine);
    b.bridge(c);
    return { a, b, c, d, close: () => [a, b, c, d].forEach((s) => s.close()) };
  }

  it('forwards audio both ways across the bridge (PCMU on one side, PCMA on the other)', async () => {
    const [a, b] = await connectedPair(engine);
    const c = await engine.createRtpSession();
    const d = await engine.createRtpSession();
    // The callee side negotiates PCMA only, so the bridge transcodes.
    const offer = c.createOffer().replace('RTP/AVP 0 8 101', 'RTP/AVP 8 101');
    c.applyAnswer(d.answerOffer(offer));
    expect(d.answerOffer(offer)).toContain('RTP/AVP 8 101');
    b.bridge(c);
    const toD = d.record({ path: path.join(tmp.dir, 'd.wav'), maxDurationMs: 2200 });
    const toA = a.record({ path: path.join(tmp.dir, 'a.wav'), maxDurationMs: 2200 });
    await Promise.all([a.play({ kind: 'file', path: up }), d.play({ kind: 'file', path: down })]);
    await Promise.all([toD, toA]);
    [a, b, c, d].forEach((s) => s.close());
    const heardByD = heard(toInt16(chirp(8000, 1.5, 300, 2400)), readWav8kMono(path.join(tmp.dir, 'd.wav')));
    const heardByA = heard(toInt16(chirp(8000, 1.5, 2400, 300)), readWav8kMono(path.join(tmp.dir, 'a.wav')));
    expect(heardByD, 'D hears A').toBeGreaterThan(0.9);
    expect(heardByA, 'A hears D').toBeGreaterThan(0.9);
  });

  it('bridging stops playback on both legs', async () => {
    const [a, b] = await connectedPair(engine);
    const [c, d] = await connectedPair(engine);
    const playing = b.play({ kind: 'tone', frequencies: [440], durationMs: 10000 });
    await new Promise((r) => setTimeout(r, 100));
    b.bridge(c);
    expect((await playing).status).toBe('interrupted');
    [a, b, c, d].forEach((s) => s.close());
  });

  it('a held leg hears hold audio and is not heard; unhold resumes; whisper plays to the other leg only', async () => {
    const call = await bridgedCall();
    const { a, b, c, d } = call;
    b.hold(); // the caller (A) is held
    const whisper = path.join(tmp.dir, 'whisper.wav');
    const callerHears = a.record({ path: path.join(tmp.dir, 'held-a.wav'), maxDurationMs: 3500 });
    const calleeHears = d.record({ path: whisper, maxDurationMs: 2200 });
    const callerTalks = a.play({ kind: 'file', path: up }); // must not reach D
    const played = await c.play({ kind: 'file', path: down }); // the whisper, to D only
    expect(played.status).toBe('completed');
    await Promise.all([callerHears, calleeHears, callerTalks]);
    const chime = generateHoldChime();
    const atA = readWav8kMono(path.join(tmp.dir, 'held-a.wav'));
    expect(heard(chime.subarray(0, 8000 * 2), atA), 'hold chime at A').toBeGreaterThan(0.9);
    const atD = readWav8kMono(whisper);
    expect(heard(toInt16(chirp(8000, 1.5, 2400, 300)), atD), 'whisper at D').toBeGreaterThan(0.9);
    // The caller's chirp never reached D.
    expect(heard(toInt16(chirp(8000, 1.5, 300, 2400)), atD)).toBeLessThan(0.3);

    b.unhold();
    const after = path.join(tmp.dir, 'after.wav');
    const resumed = d.record({ path: after, maxDurationMs: 2200 });
    await a.play({ kind: 'file', path: up });
    await resumed;
    expect(heard(toInt16(chirp(8000, 1.5, 300, 2400)), readWav8kMono(after)), 'after unhold').toBeGreaterThan(
      0.9,
    );
    call.close();
  });

  it('unbridge stops forwarding', async () => {
    const call = await bridgedCall();
    call.b.unbridge();
    const out = path.join(tmp.dir, 'unbridged.wav');
    const rec = call.d.record({ path: out, maxDurationMs: 1600 });
    await call.a.play({ kind: 'file', path: up });
    await rec;
    expect(rms(readWav8kMono(out))).toBeLessThan(20);
    call.close();
  });
});
