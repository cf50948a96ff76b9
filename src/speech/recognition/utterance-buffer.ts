/** Audio kept before the detector's start mark: the detector needs some speech before it is sure. */
const LEAD_IN_MS = 300;
/** Longest utterance kept (a detector that never ends a turn must not grow memory without bound). */
const MAX_MS = 120_000;

/**
 * The current utterance of one stream, for recognisers that decode per utterance: a short ring of
 * recent frames, then everything from the start mark (minus the lead-in) to the end mark.
 */
export class UtteranceBuffer {
  private frames: Int16Array[] = [];
  private collecting = false;
  private startMs = 0;
  /** Ms of audio written so far (the stream's clock). */
  private t = 0;

  constructor(private readonly sampleRate: number) {}

  write(frame: Int16Array): void {
    this.t += (frame.length * 1000) / this.sampleRate;
    // A copy: writers may reuse their buffer for the next frame.
    this.frames.push(frame.slice());
    const keepMs = this.collecting ? MAX_MS : LEAD_IN_MS + 1000;
    let ms = this.frames.length * ((frame.length * 1000) / this.sampleRate);
    while (ms > keepMs && this.frames.length > 1) {
      const dropped = this.frames.shift() as Int16Array;
      ms -= (dropped.length * 1000) / this.sampleRate;
    }
  }

  start(atMs: number): void {
    this.collecting = true;
    this.startMs = Math.max(0, atMs - LEAD_IN_MS);
  }

  /** The utterance from the start mark to `endMs`; null when no start mark came. */
  take(endMs: number): { pcm: Int16Array; startMs: number; endMs: number } | null {
    if (!this.collecting) return null;
    this.collecting = false;
    const frameMs = this.frames.length
      ? ((this.frames[0] as Int16Array).length * 1000) / this.sampleRate
      : 20;
    const firstMs = this.t - this.frames.length * frameMs;
    const parts = this.frames.filter((_, i) => firstMs + i * frameMs >= this.startMs - frameMs / 2);
    this.frames = this.frames.slice(-Math.ceil(LEAD_IN_MS / frameMs));
    const total = parts.reduce((n, p) => n + p.length, 0);
    const pcm = new Int16Array(total);
    let off = 0;
    for (const p of parts) {
      pcm.set(p, off);
      off += p.length;
    }
    return { pcm, startMs: Math.max(this.startMs, firstMs), endMs };
  }
}
