import type { PcmChunk } from '../../telephony/port.js';

/**
 * Audio of one model response, queued as it arrives (faster than real time) and read by the leg's
 * player at its own pace: the backend paces playback, the queue only buffers. Ending the queue lets
 * the reader finish what is buffered; the reader stopping early (barge-in) just drops the rest.
 */
export class AudioQueue implements AsyncIterable<PcmChunk> {
  private readonly chunks: PcmChunk[] = [];
  private ended = false;
  private wake: (() => void) | undefined;
  /** Samples pushed so far. */
  private samples = 0;

  constructor(readonly sampleRate: number) {}

  push(samples: Int16Array): void {
    if (this.ended || samples.length === 0) return;
    this.samples += samples.length;
    this.chunks.push({ samples, sampleRate: this.sampleRate });
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  /** Ends the queue and drops what the reader has not taken (a stopped reply). */
  discard(): void {
    this.chunks.length = 0;
    this.end();
  }

  /** How long the audio received so far lasts. */
  get receivedMs(): number {
    return Math.floor((this.samples * 1000) / this.sampleRate);
  }

  /** The one-segment stream the player takes (`MediaSource` kind `stream`). */
  segments(): AsyncIterable<AsyncIterable<PcmChunk>> {
    const segment = this as AsyncIterable<PcmChunk>;
    return {
      async *[Symbol.asyncIterator]() {
        yield segment;
      },
    };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<PcmChunk> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk) {
        yield chunk;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
