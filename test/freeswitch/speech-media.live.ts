/**
 * Live tests of the media a voice agent needs on the freeswitch backend: listening to the caller
 * (mod_audio_fork streaming to the backend's audio-fork server) and playing audio still being made
 * (stream sources, segment by segment). Real drachtio-server + FreeSWITCH, a real baresip caller that
 * sends a tone and records what it hears. Run with `npm run test:freeswitch`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallLeg, PcmChunk } from '../../src/telephony/port.js';
import { Baresip } from '../helpers/baresip.js';
import { tempDir } from '../helpers/temp.js';
import { readWav, toneSamples, toneShare, writeWav } from '../e2e/telephony/audio-analysis.js';
import { CallwrightError } from '../../src/errors.js';
import { createLogger } from '../../src/logging/logger.js';
import { FreeswitchTelephony } from '../../src/telephony/freeswitch/freeswitch-telephony.js';
import { realDrachtio } from '../../src/telephony/freeswitch/real-drachtio.js';
import { liveEnv, liveSettings } from './live-env.js';
import { startLive } from './live-rig.js';

const env = liveEnv();
/** baresip callers on 33750 (RTP 33760-33799): inside the suite's baresip block, apart from the others. */
const CALLER_PORT = 33750;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let live: Awaited<ReturnType<typeof startLive>>;

/** 20 ms chunks of a sine at `rate`, with a pause now and then as a synthesiser's output would have. */
async function* toneSegment(freq: number, ms: number, rate: number): AsyncGenerator<PcmChunk> {
  const all = Int16Array.from({ length: Math.round((ms * rate) / 1000) }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * freq * i) / rate)),
  );
  const step = rate / 50;
  for (let i = 0, n = 0; i < all.length; i += step, n++) {
    if (n % 10 === 9) await sleep(5);
    yield { samples: all.slice(i, i + step), sampleRate: rate };
  }
}

/** Zero crossings in a frame: a 440 Hz tone crosses 880 times a second, ~17.6 per 20 ms. */
function zeroCrossings(frame: Int16Array): number {
  let n = 0;
  for (let i = 1; i < frame.length; i++) if ((frame[i - 1] as number) < 0 !== (frame[i] as number) < 0) n++;
  return n;
}

/** Index of the first 100 ms window where `freq` carries most of the power, and how many such windows. */
function toneWindows(samples: Int16Array, freq: number): { first: number; last: number; count: number } {
  let first = -1;
  let last = -1;
  let count = 0;
  for (let w = 0; (w + 1) * 800 <= samples.length; w++) {
    if (toneShare(samples.subarray(w * 800, (w + 1) * 800), freq) > 0.5) {
      if (first < 0) first = w;
      last = w;
      count++;
    }
  }
  return { first, last, count };
}

describe.skipIf(!env)('freeswitch backend: listening and stream play against live daemons', () => {
  const e = env!;
  beforeAll(async () => {
    live = await startLive(e);
  });
  afterAll(async () => {
    await live?.telephony.stop();
  });

  const peers: Baresip[] = [];
  async function caller(sourceWav?: string): Promise<Baresip> {
    const p = new Baresip({ sipPort: CALLER_PORT, user: 'caller', ...(sourceWav ? { sourceWav } : {}) });
    peers.push(p);
    await p.start();
    return p;
  }
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.stop();
  });

  /** Answers the next inbound call to `user` and runs `flow` on its leg. */
  function route<T>(user: string, flow: (leg: CallLeg) => Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      live.routes.set(user, async (call) => {
        try {
          const leg = await call.answer();
          resolve(await flow(leg));
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  }

  it('hears the caller: a 440 Hz tone from a baresip caller arrives as 20 ms frames, about 50 a second', async () => {
    const tmp = tempDir('callwright-fs-listen-');
    try {
      const wav = path.join(tmp.dir, 'tone440.wav');
      writeWav(wav, toneSamples(440, 30));
      const peer = await caller(wav);
      const flow = route('2001', async (leg) => {
        const frames: Int16Array[] = [];
        const times: number[] = [];
        const tap = await leg.listen((f) => {
          frames.push(f);
          times.push(Date.now());
        });
        await sleep(3000);
        tap.stop();
        const stopped = await tap.stopped;
        await leg.hangup();
        return { frames, times, stopped, sampleRate: tap.sampleRate };
      });
      peer.command('dial', `sip:2001@${e.drachtioSip}`);
      const r = await flow;
      expect(r.stopped).toEqual({ reason: 'stopped' });
      expect(r.sampleRate).toBe(8000);
      expect(r.frames.every((f) => f instanceof Int16Array && f.length === 160)).toBe(true);
      const spanS = ((r.times.at(-1) ?? 0) - (r.times[0] ?? 0)) / 1000;
      expect(r.frames.length).toBeGreaterThan(120);
      expect(r.frames.length / spanS).toBeGreaterThan(40);
      expect(r.frames.length / spanS).toBeLessThan(60);
      // Past the first half second (RTP starting up), the frames are the caller's tone.
      const steady = r.frames.slice(25);
      const joined = new Int16Array(steady.length * 160);
      steady.forEach((f, i) => joined.set(f, i * 160));
      expect(toneShare(joined, 440)).toBeGreaterThan(0.8);
      const crossings = steady.map(zeroCrossings).sort((a, b) => a - b);
      const median = crossings[Math.floor(crossings.length / 2)] as number;
      expect(median).toBeGreaterThanOrEqual(16);
      expect(median).toBeLessThanOrEqual(19);
    } finally {
      tmp.cleanup();
    }
  });

  it('a stream of two segments reaches the caller in order, the second right after the first', async () => {
    const peer = await caller();
    const flow = route('2002', async (leg) => {
      await sleep(500);
      async function* segments(): AsyncGenerator<AsyncIterable<PcmChunk>> {
        yield toneSegment(1000, 1200, 16000);
        yield toneSegment(1800, 800, 8000);
      }
      const out = await leg.play({ kind: 'stream', segments: segments(), text: 'two tones' });
      await sleep(300);
      await leg.hangup();
      return { out, legId: leg.info.id };
    });
    peer.command('dial', `sip:2002@${e.drachtioSip}`);
    const { out, legId } = await flow;
    await peer.waitFor('CALL_CLOSED');
    expect(out.status).toBe('completed');
    // What was played, per FreeSWITCH's playback_ms: 1.2 s + 0.8 s.
    expect(Math.abs(out.durationMs - 2000)).toBeLessThanOrEqual(100);
    const file = peer.recordings().find((f) => f.endsWith('-dec.wav'));
    if (!file) throw new Error(`baresip wrote no recording:\n${peer.log.slice(-1000)}`);
    const heard = readWav(file);
    const first = toneWindows(heard, 1000);
    const second = toneWindows(heard, 1800);
    expect(first.count).toBeGreaterThanOrEqual(9);
    expect(second.count).toBeGreaterThanOrEqual(5);
    expect(first.first).toBeLessThan(second.first);
    // The second segment was made while the first played: no more than a few windows between them.
    expect(second.first - first.last).toBeLessThanOrEqual(3);
    // The segment files are gone from the shared folder.
    const left = readdirSync(path.join(e.sharedLocal, 'stream')).filter((f) => f.startsWith(legId));
    expect(left).toEqual([]);
  });

  it('a stream stopped mid-segment reports what was played; the caller hanging up ends a tap with hangup', async () => {
    const peer = await caller();
    const flow = route('2003', async (leg) => {
      const tap = await leg.listen(() => undefined);
      async function* segments(): AsyncGenerator<AsyncIterable<PcmChunk>> {
        yield toneSegment(600, 1500, 8000);
        yield toneSegment(700, 1500, 8000);
      }
      const playing = leg.play({ kind: 'stream', segments: segments() });
      await sleep(1000);
      leg.stopPlayback();
      return { out: await playing, tap };
    });
    peer.command('dial', `sip:2003@${e.drachtioSip}`);
    const { out, tap } = await flow;
    expect(out.status).toBe('interrupted');
    // About a second of the first segment (less what collecting it took), not the 3 s of the stream.
    expect(out.durationMs).toBeGreaterThan(600);
    expect(out.durationMs).toBeLessThan(1300);
    peer.command('hangup');
    expect(await tap.stopped).toEqual({ reason: 'hangup' });
  });

  it('listen rejects UNAVAILABLE at once when FreeSWITCH cannot reach the audio-fork URL', async () => {
    // A second backend on the same daemons whose audio-fork URL points at a closed port. It only
    // dials out, so drachtio-server keeps handing inbound calls to the suite's own backend.
    const other = new FreeswitchTelephony({
      settings: { ...liveSettings(e, 'unreachable-fork'), audio_fork_url: 'ws://127.0.0.1:9/fork' },
      trunks: [],
      logger: createLogger({ level: 'silent', redact_pii: true }),
      drachtio: realDrachtio(),
    });
    await other.start();
    try {
      const peer = await caller();
      const out = await other.dial({ target: peer.uri });
      if (out.outcome !== 'answered') throw new Error(`not answered: ${out.outcome}`);
      const started = Date.now();
      const err = await out.leg.listen(() => undefined).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(CallwrightError);
      expect((err as CallwrightError).code).toBe('UNAVAILABLE');
      expect((err as Error).message).toMatch(/FreeSWITCH could not connect to ws:\/\/127\.0\.0\.1:9\/fork/);
      // mod_audio_fork's connect_failed event, not the 5 s wait, ended it.
      expect(Date.now() - started).toBeLessThan(4000);
      // The leg is still fine: it plays.
      expect((await out.leg.play({ kind: 'silence', durationMs: 200 })).status).toBe('completed');
      await out.leg.hangup();
    } finally {
      await other.stop();
    }
  });
});
