import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../../helpers/temp.js';
import {
  chirp,
  median,
  readWav8kMono,
  rms,
  segmentCorrelations,
  toInt16,
  tone,
  writeWav,
} from '../../../../helpers/audio.js';
import { WorkerMediaEngine } from '../../../../../src/telephony/embedded/media/worker-media-engine.js';
import type { MediaSession } from '../../../../../src/telephony/embedded/media/media-session.js';
import { mediaWorkerCount } from '../../../../../src/telephony/embedded/media/engine-factory.js';
import type { PcmChunk } from '../../../../../src/telephony/port.js';
import { generateHoldChime } from '../../../../../src/telephony/embedded/media/audio-source.js';

// RTP ports of this file: 50700-50999.
function heard(reference: Int16Array, signal: Int16Array): number {
  return median(segmentCorrelations(reference, signal));
}

/** Every session a test opens, closed after it whatever the outcome (placement counts stay true). */
const opened: MediaSession[] = [];

async function pair(engine: WorkerMediaEngine): Promise<[MediaSession, MediaSession]> {
  const a = await engine.createSession();
  const b = await engine.createSession();
  opened.push(a, b);
  a.applyAnswer(b.answerOffer(a.createOffer()));
  return [a, b];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('media on worker threads', () => {
  let engine: WorkerMediaEngine;
  const tmp = tempDir('callwright-mediaworkers-');
  const up = path.join(tmp.dir, 'up.wav');
  const down = path.join(tmp.dir, 'down.wav');
  beforeAll(() => {
    engine = new WorkerMediaEngine(
      {
        address: '127.0.0.1',
        advertised_address: '',
        rtp_port_min: 50700,
        rtp_port_max: 50999,
        timeout_ms: 0,
        hold_music: '',
      },
      2,
    );
    writeWav(up, chirp(16000, 1.5, 300, 2400), { sampleRate: 16000 });
    writeWav(down, chirp(8000, 1.5, 2400, 300), { sampleRate: 8000 });
  });
  afterEach(() => {
    for (const s of opened.splice(0)) s.close();
  });
  afterAll(async () => {
    await engine.close();
    tmp.cleanup();
  });

  it('auto means one worker per core up to the cap, and none on a single core', () => {
    expect(mediaWorkerCount('auto', 2)).toBe(2);
    expect(mediaWorkerCount('auto', 1)).toBe(0);
    expect(mediaWorkerCount('auto', 64)).toBe(8);
    expect(mediaWorkerCount(3, 2)).toBe(3);
    expect(mediaWorkerCount(undefined, 4)).toBe(0);
  });

  it('places sessions on the least-loaded worker and plays a file, received by a tap on the main thread', async () => {
    const [a, b] = await pair(engine);
    expect(engine.workerOf(a)).not.toBe(engine.workerOf(b));
    const frames: Int16Array[] = [];
    const tap = b.listen((f) => frames.push(f));
    let startedAt = 0;
    const outcome = await a.play({ kind: 'file', path: down }, { onStarted: () => (startedAt = Date.now()) });
    expect(outcome.status).toBe('completed');
    expect(outcome.durationMs).toBe(1500);
    expect(startedAt).toBeGreaterThan(0);
    await sleep(200);
    tap.stop();
    expect(await tap.stopped).toEqual({ reason: 'stopped' });
    const pcm = new Int16Array(frames.length * 160);
    frames.forEach((f, i) => pcm.set(f, i * 160));
    expect(frames.every((f) => f.length === 160)).toBe(true);
    expect(heard(toInt16(chirp(8000, 1.5, 2400, 300)), pcm)).toBeGreaterThan(0.9);
    a.close();
    b.close();
  });

  it('bridges sessions on different workers both ways (frames between workers)', async () => {
    const [a, b] = await pair(engine);
    const [c, d] = await pair(engine);
    // a, c on one worker; b, d on the other: b ↔ c crosses workers.
    expect(engine.workerOf(b)).not.toBe(engine.workerOf(c));
    b.bridge(c);
    const toD = d.record({ path: path.join(tmp.dir, 'd.wav'), maxDurationMs: 2200 });
    const toA = a.record({ path: path.join(tmp.dir, 'a.wav'), maxDurationMs: 2200 });
    await Promise.all([a.play({ kind: 'file', path: up }), d.play({ kind: 'file', path: down })]);
    await Promise.all([toD, toA]);
    const atD = readWav8kMono(path.join(tmp.dir, 'd.wav'));
    const atA = readWav8kMono(path.join(tmp.dir, 'a.wav'));
    expect(heard(toInt16(chirp(8000, 1.5, 300, 2400)), atD), 'D hears A').toBeGreaterThan(0.9);
    expect(heard(toInt16(chirp(8000, 1.5, 2400, 300)), atA), 'A hears D').toBeGreaterThan(0.9);

    // Hold on one side of the cross-worker bridge: A hears the chime, D does not hear A.
    b.hold();
    const heldA = a.record({ path: path.join(tmp.dir, 'held-a.wav'), maxDurationMs: 2500 });
    const quietD = d.record({ path: path.join(tmp.dir, 'quiet-d.wav'), maxDurationMs: 1600 });
    await a.play({ kind: 'file', path: up });
    await Promise.all([heldA, quietD]);
    expect(
      heard(generateHoldChime().subarray(0, 8000 * 2), readWav8kMono(path.join(tmp.dir, 'held-a.wav'))),
    ).toBeGreaterThan(0.9);
    expect(
      heard(toInt16(chirp(8000, 1.5, 300, 2400)), readWav8kMono(path.join(tmp.dir, 'quiet-d.wav'))),
    ).toBeLessThan(0.3);
    b.unhold();

    b.unbridge();
    const after = d.record({ path: path.join(tmp.dir, 'unbridged.wav'), maxDurationMs: 1600 });
    await a.play({ kind: 'file', path: up });
    await after;
    expect(rms(readWav8kMono(path.join(tmp.dir, 'unbridged.wav')))).toBeLessThan(20);
    [a, b, c, d].forEach((s) => s.close());
  });

  it('plays a stream chunk by chunk, tells when it started, and a stop interrupts it', async () => {
    const [a, b] = await pair(engine);
    const pcm = toInt16(tone(16000, 0.1, 440));
    async function* segment(n: number): AsyncGenerator<PcmChunk> {
      for (let i = 0; i < n; i++) {
        await sleep(5);
        yield { samples: pcm, sampleRate: 16000 };
      }
    }
    async function* segments(n: number): AsyncGenerator<AsyncIterable<PcmChunk>> {
      yield segment(n);
      yield segment(n);
    }
    let started = false;
    const done = await a.play(
      { kind: 'stream', segments: segments(5) },
      { onStarted: () => (started = true) },
    );
    expect(started).toBe(true);
    expect(done).toEqual({ status: 'completed', durationMs: 1000 });

    // A long stream (600 chunks of 100 ms, more than the in-flight window) stopped after 300 ms.
    let produced = 0;
    async function* long(): AsyncGenerator<AsyncIterable<PcmChunk>> {
      yield (async function* () {
        for (let i = 0; i < 600; i++) {
          // Faster than real time (100 ms of audio per 20 ms), as a synthesiser is.
          if (i % 4 === 0) await sleep(20);
          produced++;
          yield { samples: pcm, sampleRate: 16000 };
        }
      })();
    }
    const playing = a.play({ kind: 'stream', segments: long() });
    await sleep(300);
    a.stopPlayback();
    const outcome = await playing;
    expect(outcome.status).toBe('interrupted');
    expect(outcome.durationMs).toBeGreaterThan(100);
    expect(outcome.durationMs).toBeLessThan(1000);
    await sleep(50);
    expect(produced).toBeLessThan(600);
    await expect(a.play({ kind: 'stream', segments: long() }, { loop: true })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    a.close();
    b.close();
  });

  it('sends and receives RFC 4733 digits, interrupts playback on a digit, and records a voicemail', async () => {
    const [a, b] = await pair(engine);
    const digits: string[] = [];
    b.on('dtmf', (e) => digits.push(e.digit));
    const prompt = b.play(
      { kind: 'tone', frequencies: [440], durationMs: 10_000 },
      { interruptOnDtmf: true },
    );
    await sleep(200);
    await a.sendDtmf('1#', 80);
    const outcome = await prompt;
    expect(outcome).toMatchObject({ status: 'interrupted', digit: '1' });
    await sleep(100);
    expect(digits).toEqual(['1', '#']);

    const file = path.join(tmp.dir, 'vm.wav');
    const rec = b.record({ path: file, maxDurationMs: 5000, endOnDtmf: '#' });
    await a.play({ kind: 'file', path: down });
    await a.sendDtmf('#');
    const result = await rec;
    expect(result.reason).toBe('dtmf');
    expect(result.path).toBe(file);
    expect(heard(toInt16(chirp(8000, 1.5, 2400, 300)), readWav8kMono(file))).toBeGreaterThan(0.9);
    await expect(a.record({ path: file, maxDurationMs: -1 })).rejects.toMatchObject({ code: 'VALIDATION' });
    a.close();
    b.close();
  });

  it('an abort signal stops a play and a record', async () => {
    const [a, b] = await pair(engine);
    const ac = new AbortController();
    const playing = a.play({ kind: 'tone', frequencies: [440], durationMs: 10_000 }, { signal: ac.signal });
    const recording = b.record({
      path: path.join(tmp.dir, 'abort.wav'),
      maxDurationMs: 10_000,
      signal: ac.signal,
    });
    await sleep(200);
    ac.abort();
    expect((await playing).status).toBe('interrupted');
    expect((await recording).reason).toBe('stopped');
    a.close();
    b.close();
    expect(engine.stats().sessions).toBe(0);
  });

  it('a media worker that dies ends its calls with event failed and is replaced', async () => {
    const [a, b] = await pair(engine);
    const failed: string[] = [];
    a.on('failed', (e) => failed.push(e.reason));
    b.on('failed', (e) => failed.push(`b: ${e.reason}`));
    const playing = a.play({ kind: 'tone', frequencies: [440], durationMs: 10_000 });
    const tap = a.listen(() => undefined);
    await sleep(100);
    const dead = engine.workerOf(a);
    await engine.workerThreads()[dead]?.terminate();
    expect(await playing).toEqual({ status: 'hangup', durationMs: 0 });
    expect((await tap.stopped).reason).toBe('error');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/media worker \d stopped/);
    b.close();
    // The replacement takes new calls.
    const [c, d] = await pair(engine);
    const frames: Int16Array[] = [];
    d.listen((f) => frames.push(f));
    await c.play({ kind: 'tone', frequencies: [440], durationMs: 300 });
    await sleep(100);
    expect(frames.some((f) => rms(f) > 1000)).toBe(true);
    c.close();
    d.close();
  });

  it('reports lateness per worker and overall', async () => {
    const [a, b] = await pair(engine);
    await sleep(300);
    const d = await engine.detail();
    expect(d.workers).toHaveLength(2);
    expect(d.frames).toBe(d.workers.reduce((n, w) => n + w.frames, 0));
    expect(d.frames).toBeGreaterThan(0);
    expect(d.sessions).toBe(2);
    a.close();
    b.close();
  });
});
