import { lowPassKernel } from './low-pass.mjs';

/**
 * Streaming sample-rate conversion of 16-bit mono PCM, chunk by chunk with state carried between
 * chunks (so chunk edges do not click). Downsampling first low-passes with a windowed-sinc FIR at
 * 0.9 × the output Nyquist frequency (no aliasing of 24 kHz speech into the 8 kHz band), then reads
 * the filtered signal at fractional positions by linear interpolation. Cheap enough to run as chunks
 * arrive: ~32 multiply-adds per input sample.
 */
const TAPS = 31;

export class Resampler {
  private readonly step: number;
  private readonly kernel: Float32Array | null;
  /** The last TAPS-1 input samples of the previous chunk (filter history). */
  private readonly history = new Float32Array(TAPS - 1);
  /** Position of the next output sample, in input samples relative to the current chunk's start. */
  private pos = 0;
  /** The last filtered sample of the previous chunk (for interpolation across the edge). */
  private lastFiltered = 0;

  constructor(
    readonly inputRate: number,
    readonly outputRate: number,
  ) {
    if (!(inputRate > 0 && outputRate > 0)) throw new RangeError('sample rates must be positive');
    this.step = inputRate / outputRate;
    this.kernel = inputRate > outputRate ? lowPassKernel(TAPS, (0.9 * outputRate) / 2 / inputRate) : null;
  }

  /** Converts one chunk; the output keeps continuity with the chunks before it. */
  process(input: Int16Array): Int16Array {
    if (this.inputRate === this.outputRate) return input.slice();
    const filtered = this.filter(input);
    const n = filtered.length;
    const out: number[] = [];
    let pos = this.pos;
    // pos may be in [-1, 0): between the previous chunk's last sample and this chunk's first.
    while (Math.floor(pos) + 1 < n) {
      const i = Math.floor(pos);
      const frac = pos - i;
      const a = i < 0 ? this.lastFiltered : (filtered[i] as number);
      const b = filtered[i + 1] as number;
      out.push(a + (b - a) * frac);
      pos += this.step;
    }
    this.pos = pos - n;
    if (n > 0) this.lastFiltered = filtered[n - 1] as number;
    return Int16Array.from(out, clamp);
  }

  private filter(input: Int16Array): Float32Array {
    const k = this.kernel;
    if (!k) return Float32Array.from(input);
    const h = this.history;
    const out = new Float32Array(input.length);
    const half = TAPS - 1;
    for (let i = 0; i < input.length; i++) {
      let acc = 0;
      for (let t = 0; t < TAPS; t++) {
        const j = i - t;
        acc += (k[t] as number) * (j >= 0 ? (input[j] as number) : (h[half + j] as number));
      }
      out[i] = acc;
    }
    // Keep the last TAPS-1 inputs for the next chunk.
    if (input.length >= half) for (let t = 0; t < half; t++) h[t] = input[input.length - half + t] as number;
    else {
      h.copyWithin(0, input.length);
      for (let t = 0; t < input.length; t++) h[half - input.length + t] = input[t] as number;
    }
    return out;
  }
}

function clamp(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
}
