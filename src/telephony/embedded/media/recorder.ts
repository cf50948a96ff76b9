import type { RecordOptions, RecordOutcome } from '../../port.js';
import { writeWav8kMono } from './wav-writer.js';

/** RMS below this (about -42 dBFS) counts as silence; line noise and G.711 idle codes sit well under it. */
export const SILENCE_RMS = 260;
const CHUNK = 8000; // one second per chunk: few allocations, nothing copied while recording

export type RecordEnd = Exclude<RecordOutcome['reason'], never>;

/**
 * Collects what the far end says, frame by frame from the media clock, into in-memory chunks, and
 * writes the WAV only at the end (asynchronously), so disk latency never touches the media path.
 * Silence counts from the start (a caller who says nothing ends the recording as well).
 */
export class Recorder {
  private readonly chunks: Int16Array[] = [];
  private current = new Int16Array(CHUNK);
  private fill = 0;
  private samples = 0;
  private silentSamples = 0;
  private ended = false;
  private readonly maxSamples: number;
  private readonly silenceSamples: number;

  constructor(
    private readonly options: RecordOptions,
    private readonly onEnd: (reason: RecordEnd, digit?: string) => void,
  ) {
    this.maxSamples = Math.max(0, Math.round(options.maxDurationMs * 8));
    this.silenceSamples = Math.round((options.silenceTimeoutMs ?? 0) * 8);
  }

  /** One received frame (160 samples). */
  frame(pcm: Int16Array): void {
    if (this.ended) return;
    let energy = 0;
    const room = this.maxSamples - this.samples;
    const n = pcm.length < room ? pcm.length : room;
    for (let i = 0; i < n; i++) {
      const s = pcm[i] as number;
      energy += s * s;
      if (this.fill === CHUNK) {
        this.chunks.push(this.current);
        this.current = new Int16Array(CHUNK);
        this.fill = 0;
      }
      this.current[this.fill++] = s;
    }
    this.samples += n;
    if (this.samples >= this.maxSamples) return this.end('max-duration');
    if (this.silenceSamples > 0) {
      const quiet = n > 0 && Math.sqrt(energy / n) < SILENCE_RMS;
      this.silentSamples = quiet ? this.silentSamples + n : 0;
      if (this.silentSamples >= this.silenceSamples) this.end('silence');
    }
  }

  /** A digit arrived; true when it ended the recording. */
  dtmf(digit: string): boolean {
    const rule = this.options.endOnDtmf;
    if (this.ended || !rule) return false;
    if (rule === true || rule.includes(digit)) {
      this.end('dtmf', digit);
      return true;
    }
    return false;
  }

  end(reason: RecordEnd, digit?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(reason, digit);
  }

  get done(): boolean {
    return this.ended;
  }

  /** Writes the file and reports how it ended. */
  async save(reason: RecordEnd, digit?: string): Promise<RecordOutcome> {
    const pcm = new Int16Array(this.samples);
    let at = 0;
    for (const c of this.chunks) {
      pcm.set(c.subarray(0, Math.min(c.length, pcm.length - at)), at);
      at += c.length;
    }
    if (at < pcm.length) pcm.set(this.current.subarray(0, pcm.length - at), at);
    await writeWav8kMono(this.options.path, pcm);
    const outcome: RecordOutcome = {
      reason,
      path: this.options.path,
      durationMs: Math.round(this.samples / 8),
    };
    if (digit !== undefined) outcome.digit = digit;
    return outcome;
  }
}
