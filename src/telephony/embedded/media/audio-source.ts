/**
 * Outbound audio, pulled one 20 ms frame (160 samples, 8 kHz, 16-bit mono) at a time by the clock.
 * Sources write into the caller's buffer and never allocate per frame.
 */
export const SAMPLE_RATE = 8000;
export const FRAME_SAMPLES = 160;

export interface AudioSource {
  /** Fills `out` (zeros past the end); false once the source had nothing left for this frame. */
  read(out: Int16Array): boolean;
  /** Rewinds to the start (for looping). */
  rewind(): void;
}

/** Decoded PCM, e.g. a WAV file or a synthesised prompt. */
export class PcmSource implements AudioSource {
  private pos = 0;

  constructor(private readonly pcm: Int16Array) {}

  read(out: Int16Array): boolean {
    const left = this.pcm.length - this.pos;
    if (left <= 0) {
      out.fill(0);
      return false;
    }
    const n = left < out.length ? left : out.length;
    // A plain loop: subarray() would allocate a view object per frame.
    const pcm = this.pcm;
    const pos = this.pos;
    for (let i = 0; i < n; i++) out[i] = pcm[pos + i] as number;
    if (n < out.length) out.fill(0, n);
    this.pos += n;
    return true;
  }

  rewind(): void {
    this.pos = 0;
  }
}

export class SilenceSource implements AudioSource {
  private left: number;

  constructor(private readonly samples: number) {
    this.left = samples;
  }

  read(out: Int16Array): boolean {
    out.fill(0);
    if (this.left <= 0) return false;
    this.left -= out.length;
    return true;
  }

  rewind(): void {
    this.left = this.samples;
  }
}

/** One sine period in a table: tones cost a lookup per sample, not a Math.sin. */
const SINE_BITS = 12;
const SINE_SIZE = 1 << SINE_BITS;
const SINE = Float32Array.from({ length: SINE_SIZE }, (_, i) => Math.sin((2 * Math.PI * i) / SINE_SIZE));
/** Phase is a 32-bit fixed-point fraction of a period; the top SINE_BITS index the table. */
const PHASE_SHIFT = 32 - SINE_BITS;

/**
 * One or more sine tones summed, switched by an on/off cadence, for `durationMs` in total
 * (e.g. 350+440 Hz dial tone, 440+480 Hz with 2 s on / 4 s off for ring-back).
 */
export class ToneSource implements AudioSource {
  private readonly steps: Uint32Array;
  private readonly phases: Uint32Array;
  private readonly amplitude: number;
  private readonly total: number;
  private readonly onSamples: number;
  private readonly period: number;
  private pos = 0;

  constructor(frequencies: number[], durationMs: number, onMs = 0, offMs = 0, level = 0.25) {
    this.steps = Uint32Array.from(frequencies, (f) => Math.round((f / SAMPLE_RATE) * 2 ** 32) >>> 0);
    this.phases = new Uint32Array(frequencies.length);
    this.amplitude = (32767 * level) / Math.max(1, frequencies.length);
    this.total = Math.round((durationMs * SAMPLE_RATE) / 1000);
    this.onSamples = onMs > 0 ? Math.round((onMs * SAMPLE_RATE) / 1000) : this.total;
    this.period = onMs > 0 ? this.onSamples + Math.round((offMs * SAMPLE_RATE) / 1000) : this.total;
  }

  read(out: Int16Array): boolean {
    if (this.pos >= this.total) {
      out.fill(0);
      return false;
    }
    const { steps, phases, amplitude } = this;
    const tones = steps.length;
    for (let i = 0; i < out.length; i++, this.pos++) {
      if (this.pos >= this.total || this.pos % this.period >= this.onSamples) {
        out[i] = 0;
        continue;
      }
      let v = 0;
      for (let k = 0; k < tones; k++) {
        const phase = phases[k] as number;
        v += SINE[phase >>> PHASE_SHIFT] as number;
        phases[k] = (phase + (steps[k] as number)) >>> 0;
      }
      out[i] = Math.round(v * amplitude);
    }
    return true;
  }

  rewind(): void {
    this.pos = 0;
    this.phases.fill(0);
  }
}

/** Plays its inner source again and again (hold music, `loop: true`). */
export class LoopSource implements AudioSource {
  constructor(private readonly inner: AudioSource) {}

  read(out: Int16Array): boolean {
    if (this.inner.read(out)) return true;
    this.inner.rewind();
    return this.inner.read(out);
  }

  rewind(): void {
    this.inner.rewind();
  }
}

/**
 * The default hold audio: a soft two-note chime (C5, E5) every three seconds at -18 dBFS, gentle enough
 * to loop for minutes yet clearly not dead air. Generated once per engine.
 */
export function generateHoldChime(): Int16Array {
  const pcm = new Int16Array(3 * SAMPLE_RATE);
  const notes: Array<[number, number]> = [
    [523.25, 0],
    [659.25, 0.35],
  ];
  const level = 32767 * 0.125;
  for (const [freq, startS] of notes) {
    const start = Math.round(startS * SAMPLE_RATE);
    const length = Math.round(0.6 * SAMPLE_RATE);
    for (let i = 0; i < length && start + i < pcm.length; i++) {
      const t = i / SAMPLE_RATE;
      // Short attack, exponential decay: a bell, not a beep.
      const envelope = Math.min(1, i / 80) * Math.exp(-5 * t);
      pcm[start + i] =
        (pcm[start + i] as number) + Math.round(level * envelope * Math.sin(2 * Math.PI * freq * t));
    }
  }
  return pcm;
}
