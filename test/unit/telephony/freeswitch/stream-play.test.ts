import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PcmChunk } from '../../../../src/telephony/port.js';
import { answeredCall, dialogOf, startRig, waitFor, type Rig } from './harness.js';
import type { FakeEndpoint } from './drachtio-fakes.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.telephony.stop();
  rig = undefined;
});

const tone = (ms: number, rate: number): Int16Array =>
  Int16Array.from({ length: Math.round((ms * rate) / 1000) }, (_, i) =>
    Math.round(4000 * Math.sin((2 * Math.PI * 440 * i) / rate)),
  );

/** A segment of `ms` milliseconds at `rate`, handed over in 20 ms chunks. */
async function* segment(ms: number, rate: number): AsyncGenerator<PcmChunk> {
  const all = tone(ms, rate);
  const step = rate / 50;
  for (let i = 0; i < all.length; i += step) yield { samples: all.subarray(i, i + step), sampleRate: rate };
}

async function* segments(...list: Array<AsyncIterable<PcmChunk>>): AsyncGenerator<AsyncIterable<PcmChunk>> {
  for (const s of list) yield s;
}

/** A gate a producer waits at until the test opens it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

const streamDir = (r: Rig): string => path.join(r.settings.shared_dir.local, 'stream');
const plays = (ep: FakeEndpoint): string[] =>
  ep.log.filter((l) => l.startsWith('playback /fs/shared/stream/'));
/** The WAV in the shared folder behind a `playback /fs/shared/...` log line. */
const localOf = (r: Rig, line: string): string =>
  path.join(r.settings.shared_dir.local, line.slice('playback /fs/shared/'.length));

describe('freeswitch call leg: stream play', () => {
  it('plays each segment as a WAV at its own rate, in order, and removes the files', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    ep.playMs = undefined;
    const playing = leg.play({
      kind: 'stream',
      segments: segments(segment(200, 16000), segment(100, 8000)),
      text: 'Hello. Bye.',
    });
    await waitFor(() => plays(ep).length === 1 && ep.pending?.app === 'playback');
    const first = localOf(rig, plays(ep)[0] as string);
    const wav = readFileSync(first);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(16000);
    expect(wav.readUInt32LE(40)).toBe(3200 * 2);
    expect(path.basename(first)).toMatch(new RegExp(`^${leg.info.id}-1-[0-9a-f]{8}\\.wav$`));
    await ep.api('uuid_break', [ep.uuid]);
    await waitFor(() => plays(ep).length === 2 && ep.pending?.app === 'playback');
    const second = localOf(rig, plays(ep)[1] as string);
    expect(readFileSync(second).readUInt32LE(24)).toBe(8000);
    expect(existsSync(first)).toBe(false);
    await ep.api('uuid_break', [ep.uuid]);
    const out = await playing;
    expect(out.status).toBe('completed');
    await waitFor(() => readdirSync(streamDir(rig as Rig)).length === 0);
  });

  it('durationMs adds up the segments played whole, never more than each segment', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    // FreeSWITCH reports playback_ms; the double reports the wall time of each scripted playback.
    ep.playMs = 150;
    const out = await leg.play({
      kind: 'stream',
      segments: segments(segment(100, 8000), segment(60, 24000)),
    });
    expect(out).toEqual({ status: 'completed', durationMs: 160 });
  });

  it('a segment broken off counts the time it played, not the playback_ms FreeSWITCH reports for it', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    ep.playMs = undefined;
    // FreeSWITCH 1.10 reports the samples it read ahead: the whole file, even after a uuid_break.
    const play = ep.play.bind(ep);
    ep.play = (file: string) => play(file).then((r) => ({ ...r, playbackMilliseconds: '1000' }));
    const playing = leg.play({
      kind: 'stream',
      segments: segments(segment(1000, 8000), segment(1000, 8000)),
    });
    await waitFor(() => ep.pending?.app === 'playback');
    await new Promise((r) => setTimeout(r, 100));
    leg.stopPlayback();
    const out = await playing;
    expect(out.status).toBe('interrupted');
    expect(out.durationMs).toBeGreaterThanOrEqual(90);
    expect(out.durationMs).toBeLessThan(500);
  });

  it('collects the next segment while the current one plays', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    ep.playMs = undefined;
    const events: string[] = [];
    async function* second(): AsyncGenerator<PcmChunk> {
      events.push('second started');
      yield* segment(100, 8000);
      events.push('second complete');
    }
    const playing = leg.play({ kind: 'stream', segments: segments(segment(100, 8000), second()) });
    await waitFor(() => events.includes('second complete'));
    // The first file is still playing while the second has been collected.
    expect(plays(ep)).toHaveLength(1);
    expect(ep.pending?.app).toBe('playback');
    await ep.api('uuid_break', [ep.uuid]);
    await waitFor(() => plays(ep).length === 2);
    await ep.api('uuid_break', [ep.uuid]);
    expect((await playing).status).toBe('completed');
  });

  it('stopPlayback breaks the file playing, ends the collection and closes the producer', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    ep.playMs = undefined;
    let closed = false;
    async function* producer(): AsyncGenerator<AsyncIterable<PcmChunk>> {
      try {
        yield segment(100, 8000);
        yield segment(100, 8000);
        yield segment(100, 8000);
      } finally {
        closed = true;
      }
    }
    const playing = leg.play({ kind: 'stream', segments: producer() });
    await waitFor(() => plays(ep).length === 1 && ep.pending?.app === 'playback');
    leg.stopPlayback();
    const out = await playing;
    expect(out.status).toBe('interrupted');
    expect(ep.log).toContain(`api uuid_break ${ep.uuid} all`);
    await waitFor(() => closed);
    expect(plays(ep)).toHaveLength(1);
    await waitFor(() => readdirSync(streamDir(rig as Rig)).length === 0);
  });

  it('a stop while the next segment is still being made ends the play at once; the producer is closed when it next yields', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    ep.playMs = 10;
    const slow = gate();
    let closed = false;
    async function* producer(): AsyncGenerator<AsyncIterable<PcmChunk>> {
      try {
        yield segment(100, 8000);
        await slow.wait;
        yield segment(100, 8000);
      } finally {
        closed = true;
      }
    }
    const playing = leg.play({ kind: 'stream', segments: producer() });
    await waitFor(() => plays(ep).length === 1 && ep.pending === undefined);
    leg.stopPlayback();
    const out = await playing;
    expect(out.status).toBe('interrupted');
    // The first segment's scripted 10 ms playback: a 10 ms timer measured with Date.now() (whole
    // milliseconds, truncated) can read 9, and timer granularity allows a little more.
    expect(out.durationMs).toBeGreaterThanOrEqual(9);
    expect(out.durationMs).toBeLessThan(50);
    expect(closed).toBe(false);
    slow.open();
    await waitFor(() => closed);
    expect(plays(ep)).toHaveLength(1);
  });

  it('a caller digit interrupts a stream with interruptOnDtmf; an abort signal stops it too', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    ep.playMs = undefined;
    const byDigit = leg.play(
      { kind: 'stream', segments: segments(segment(100, 8000), segment(100, 8000)) },
      { interruptOnDtmf: true },
    );
    await waitFor(() => ep.pending?.app === 'playback');
    ep.pressDigit('7');
    expect(await byDigit).toMatchObject({ status: 'interrupted', digit: '7' });
    const ctl = new AbortController();
    const byAbort = leg.play(
      { kind: 'stream', segments: segments(segment(100, 8000), segment(100, 8000)) },
      { signal: ctl.signal },
    );
    await waitFor(() => ep.pending?.app === 'playback');
    ctl.abort();
    expect((await byAbort).status).toBe('interrupted');
    expect(plays(ep)).toHaveLength(2);
  });

  it('a producer that fails ends the play as interrupted after the segments completed before it', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    ep.playMs = 150;
    async function* broken(): AsyncGenerator<PcmChunk> {
      yield* segment(40, 8000);
      throw new Error('synthesis provider went away');
    }
    const out = await leg.play({ kind: 'stream', segments: segments(segment(100, 8000), broken()) });
    expect(out).toEqual({ status: 'interrupted', durationMs: 100 });
    expect(plays(ep)).toHaveLength(1);
  });

  it('a chunk that is not PCM fails the stream the same way, naming what is expected', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    async function* bad(): AsyncGenerator<PcmChunk> {
      yield { samples: new Int16Array(160), sampleRate: 0 };
    }
    const out = await leg.play({ kind: 'stream', segments: segments(bad()) });
    expect(out).toEqual({ status: 'interrupted', durationMs: 0 });
    expect(plays(ep)).toHaveLength(0);
  });

  it('resamples a chunk at another rate to the segment rate', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    ep.playMs = undefined;
    async function* mixed(): AsyncGenerator<PcmChunk> {
      yield { samples: tone(100, 16000), sampleRate: 16000 };
      yield { samples: tone(100, 8000), sampleRate: 8000 };
    }
    const playing = leg.play({ kind: 'stream', segments: segments(mixed()) });
    await waitFor(() => plays(ep).length === 1 && ep.pending?.app === 'playback');
    const wav = readFileSync(localOf(rig, plays(ep)[0] as string));
    expect(wav.readUInt32LE(24)).toBe(16000);
    // 100 ms at 16 kHz plus 100 ms resampled up to 16 kHz (the resampler keeps a sample of history).
    expect(Math.abs(wav.readUInt32LE(40) / 2 - 3200)).toBeLessThanOrEqual(2);
    leg.stopPlayback();
    await playing;
  });

  it('resolves hangup when the caller hangs up during a stream', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    ep.playMs = undefined;
    const playing = leg.play({ kind: 'stream', segments: segments(segment(100, 8000), segment(100, 8000)) });
    await waitFor(() => ep.pending?.app === 'playback');
    dialogOf(leg).remoteBye();
    expect((await playing).status).toBe('hangup');
  });

  it('refuses to loop a stream, naming the option', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    await expect(
      leg.play({ kind: 'stream', segments: segments(segment(100, 8000)) }, { loop: true }),
    ).rejects.toThrow(/a stream cannot loop/);
  });

  it('refuses a stream as hold music, naming the field', async () => {
    rig = await startRig();
    const { leg } = await answeredCall(rig);
    await expect(leg.hold({ kind: 'stream', segments: segments(segment(100, 8000)) })).rejects.toThrow(
      /music: a stream plays once and cannot be hold music/,
    );
  });

  it('a play whose signal has already fired does not start', async () => {
    rig = await startRig();
    const { leg, ep } = await answeredCall(rig);
    const ctl = new AbortController();
    ctl.abort();
    expect(await leg.play({ kind: 'silence', durationMs: 1000 }, { signal: ctl.signal })).toEqual({
      status: 'interrupted',
      durationMs: 0,
    });
    expect(ep.log.some((l) => l.startsWith('playback'))).toBe(false);
  });
});
