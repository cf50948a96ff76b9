import type { PcmChunk } from '../../port.js';
import { Resampler } from '../../../speech/audio/resampler.js';
import { SAMPLE_RATE, type AudioSource } from './audio-source.js';

/** Most audio buffered ahead of playback (60 s): a provider faster than real time waits beyond it. */
const MAX_BUFFERED = 60 * SAMPLE_RATE;

/**
 * Audio that is still being made (streaming synthesis), played as it arrives. An async pump (not the
 * media clock) reads the segments, resamples each chunk to 8 kHz and queues it; `read` only copies
 * queued samples. While the producer is behind, frames are silence and the play goes on (a gap, not an
 * end); the play completes once every segment has ended and the queue is empty. `sentSamples` counts
 * audio actually sent (gaps excluded): what the far end heard.
 */
export class StreamSource implements AudioSource {
  private readonly queue: Int16Array[] = [];
  private head = 0;
  private queued = 0;
  private finished = false;
  private stopped = false;
  private wake: (() => void) | null = null;
  sentSamples = 0;
  /** Set when the producer failed; the play ends with what was sent (the caller of play learns why). */
  error: unknown;

  constructor(segments: AsyncIterable<AsyncIterable<PcmChunk>>) {
    void this.pump(segments);
  }

  private async pump(segments: AsyncIterable<AsyncIterable<PcmChunk>>): Promise<void> {
    try {
      for await (const segment of segments) {
        let resampler: Resampler | null = null;
        for await (const chunk of segment) {
          if (this.stopped) return;
          if (!resampler || resampler.inputRate !== chunk.sampleRate)
            resampler = new Resampler(chunk.sampleRate, SAMPLE_RATE);
          const pcm = resampler.process(chunk.samples);
          if (pcm.length) {
            this.queue.push(pcm);
            this.queued += pcm.length;
          }
          while (this.queued > MAX_BUFFERED && !this.stopped) await new Promise<void>((r) => (this.wake = r));
        }
      }
    } catch (err) {
      this.error = err;
    } finally {
      this.finished = true;
    }
  }

  read(out: Int16Array): boolean {
    let filled = 0;
    while (filled < out.length && this.queue.length) {
      const first = this.queue[0] as Int16Array;
      const n = Math.min(out.length - filled, first.length - this.head);
      for (let i = 0; i < n; i++) out[filled + i] = first[this.head + i] as number;
      filled += n;
      this.head += n;
      if (this.head >= first.length) {
        this.queue.shift();
        this.head = 0;
      }
    }
    this.queued -= filled;
    this.sentSamples += filled;
    if (filled < out.length) out.fill(0, filled);
    if (this.wake && this.queued <= MAX_BUFFERED) {
      const wake = this.wake;
      this.wake = null;
      wake();
    }
    // Done once the producer has finished and nothing is left; until then a gap is silence.
    return filled > 0 || !this.finished;
  }

  /** Nothing more will be read: the pump stops at its next chunk. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  rewind(): void {
    // A stream plays once; looping it is refused by play().
  }
}
