import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../logging/logger.js';
import { encodeWavFile } from '../../speech/synthesis/wav-file.js';
import { Resampler } from '../../speech/audio/resampler.js';
import type { PcmChunk } from '../port.js';

/** Segments written ahead of the one playing: enough to play on without a gap, no more. */
const MAX_AHEAD = 2;

/** A complete segment, written as a WAV in the shared folder. */
export interface ReadySegment {
  /** Callwright's path of the WAV. */
  file: string;
  /** Its length. */
  durationMs: number;
}

/**
 * Collects a stream source's segments (sentences of streaming synthesis) into WAV files FreeSWITCH can
 * play: each segment is gathered whole, written at its own sample rate (FreeSWITCH resamples files
 * to the call's rate) and queued, while the player plays the previous one. `stop()` ends the
 * collection: at the producer's next chunk the loops return, which closes its generators
 * (for-await calls `return()`); files not played are removed. A producer that throws ends the
 * collection with `error` set; what was complete before it still plays.
 */
export class SegmentCollector {
  /** Set when the producer failed (or sent a chunk that is not PCM). */
  error: unknown;
  private readonly ready: ReadySegment[] = [];
  private done = false;
  private stopped = false;
  private wakeReader: (() => void) | undefined;
  private wakeWriter: (() => void) | undefined;
  private count = 0;
  /** Resolves when the collecting loop has returned (files cleaned up). */
  readonly finished: Promise<void>;

  constructor(
    segments: AsyncIterable<AsyncIterable<PcmChunk>>,
    private readonly dir: string,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {
    this.finished = this.run(segments);
  }

  /** The next complete segment, or undefined when the stream has ended (or failed, or was stopped). */
  async next(): Promise<ReadySegment | undefined> {
    for (;;) {
      const seg = this.ready.shift();
      if (seg) {
        this.wake('writer');
        return seg;
      }
      if (this.done || this.stopped) return undefined;
      await new Promise<void>((r) => (this.wakeReader = r));
    }
  }

  /** A played segment's file is no longer needed. */
  release(seg: ReadySegment): void {
    void rm(seg.file, { force: true }).catch((err: Error) =>
      this.log.debug({ err: err.message }, 'removing a stream segment failed'),
    );
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const seg of this.ready.splice(0)) this.release(seg);
    this.wake('reader');
    this.wake('writer');
  }

  private wake(which: 'reader' | 'writer'): void {
    const w = which === 'reader' ? this.wakeReader : this.wakeWriter;
    if (which === 'reader') this.wakeReader = undefined;
    else this.wakeWriter = undefined;
    w?.();
  }

  private async run(segments: AsyncIterable<AsyncIterable<PcmChunk>>): Promise<void> {
    try {
      for await (const segment of segments) {
        if (this.stopped) return;
        const pcm = await this.gather(segment);
        if (!pcm || this.stopped) return;
        if (pcm.samples.length === 0) continue;
        await mkdir(this.dir, { recursive: true });
        const file = path.join(
          this.dir,
          `${this.prefix}-${++this.count}-${randomBytes(4).toString('hex')}.wav`,
        );
        await writeFile(file, encodeWavFile([pcm.samples], pcm.rate));
        const seg = { file, durationMs: (pcm.samples.length * 1000) / pcm.rate };
        if (this.stopped) {
          this.release(seg);
          return;
        }
        this.ready.push(seg);
        this.wake('reader');
        while (this.ready.length >= MAX_AHEAD && !this.stopped)
          await new Promise<void>((r) => (this.wakeWriter = r));
        if (this.stopped) return;
      }
    } catch (err) {
      this.error = err;
    } finally {
      this.done = true;
      this.wake('reader');
    }
  }

  /** One segment's chunks joined; chunks at another rate than the first are resampled to it. */
  private async gather(
    segment: AsyncIterable<PcmChunk>,
  ): Promise<{ samples: Int16Array; rate: number } | undefined> {
    const parts: Int16Array[] = [];
    let total = 0;
    let rate = 0;
    let resampler: Resampler | undefined;
    for await (const chunk of segment) {
      if (this.stopped) return undefined;
      if (!(chunk.samples instanceof Int16Array) || !(chunk.sampleRate > 0)) {
        throw new Error(
          `stream: got a chunk with sampleRate ${JSON.stringify(chunk.sampleRate)}, expected 16-bit PCM (Int16Array) at a positive sample rate`,
        );
      }
      if (!rate) rate = fileRate(chunk.sampleRate);
      let samples: Int16Array;
      if (chunk.sampleRate === rate) {
        // A copy: producers may reuse their buffers once the chunk is handed over.
        samples = chunk.samples.slice();
      } else {
        if (resampler?.inputRate !== chunk.sampleRate) resampler = new Resampler(chunk.sampleRate, rate);
        samples = resampler.process(chunk.samples);
      }
      parts.push(samples);
      total += samples.length;
    }
    const out = new Int16Array(total);
    let pos = 0;
    for (const p of parts) {
      out.set(p, pos);
      pos += p.length;
    }
    return { samples: out, rate: rate || 8000 };
  }
}

/** Rates a WAV can carry as they are; anything else (fractional, outside 8-48 kHz) is resampled to 8 kHz. */
function fileRate(rate: number): number {
  return Number.isInteger(rate) && rate >= 8000 && rate <= 48000 ? rate : 8000;
}
