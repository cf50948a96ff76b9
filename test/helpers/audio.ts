/**
 * Audio helpers for tests: synthetic signals, WAV files in any format, and normalised
 * cross-correlation to check that audio survived a trip through RTP, a bridge or a recording.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import wavefile from 'wavefile';

const { WaveFile } = wavefile;

/** The telephony sample rate (G.711). */
export const RATE = 8000;

/** A mono 16-bit PCM WAV (44-byte RIFF header) of `samples`, built without wavefile. */
export function wavBytes(samples: Int16Array, rate = RATE): Buffer {
  const data = samples.length * 2;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data, 40);
  return Buffer.concat([h, Buffer.from(samples.buffer, samples.byteOffset, data)]);
}

/** A linear chirp with a slow amplitude wobble: non-periodic, so its correlation peak is unique. */
export function chirp(sampleRate: number, seconds: number, f0 = 300, f1 = 2400, level = 0.5): Float64Array {
  const n = Math.round(sampleRate * seconds);
  const out = new Float64Array(n);
  const k = (f1 - f0) / seconds;
  for (let i = 0; i < n; i++) {
    const t = i / sampleRate;
    const envelope = 0.6 + 0.4 * Math.sin(2 * Math.PI * 1.3 * t);
    out[i] = level * envelope * Math.sin(2 * Math.PI * (f0 * t + (k * t * t) / 2));
  }
  return out;
}

/** A sine tone, for tests that need a steady loud signal. */
export function tone(sampleRate: number, seconds: number, freq: number, level = 0.5): Float64Array {
  const out = new Float64Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = level * Math.sin((2 * Math.PI * freq * i) / sampleRate);
  return out;
}

export function toInt16(signal: Float64Array): Int16Array {
  return Int16Array.from(signal, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32767))));
}

export interface WavFormat {
  sampleRate: number;
  channels?: number;
  /** wavefile bit depth code: '8', '16', '24', '32', '32f'. */
  bitDepth?: string;
}

/** Writes `signal` (-1..1) as a WAV in the given format; the same signal on every channel. */
export function writeWav(path: string, signal: Float64Array, format: WavFormat): void {
  const channels = format.channels ?? 1;
  const depth = format.bitDepth ?? '16';
  const scale = depth === '32f' ? 1 : depth === '8' ? 127 : 2 ** (Number(depth) - 1) - 1;
  const offset = depth === '8' ? 128 : 0;
  const chan = Array.from(signal, (v) => (depth === '32f' ? v : Math.round(v * scale) + offset));
  const wav = new WaveFile();
  const data = channels === 1 ? chan : Array.from({ length: channels }, () => chan);
  wav.fromScratch(channels, format.sampleRate, depth, data);
  writeFileSync(path, wav.toBuffer());
}

/** Reads a WAV written by the media layer (8 kHz 16-bit mono) and checks that format. */
export function readWav8kMono(path: string): Int16Array {
  const wav = new WaveFile(readFileSync(path));
  const fmt = wav.fmt as { sampleRate: number; numChannels: number; bitsPerSample: number };
  if (fmt.sampleRate !== 8000 || fmt.numChannels !== 1 || fmt.bitsPerSample !== 16) {
    throw new Error(
      `expected 8 kHz 16-bit mono, got ${fmt.sampleRate} Hz ${fmt.bitsPerSample}-bit x${fmt.numChannels}`,
    );
  }
  return wav.getSamples(false, Int16Array) as unknown as Int16Array;
}

export function rms(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += (x[i] as number) ** 2;
  return to > from ? Math.sqrt(s / (to - from)) : 0;
}

/**
 * The best normalised cross-correlation of `reference` against `signal` delayed by 0..maxLag samples
 * (the network and jitter buffer delay is unknown), over the overlapping part.
 */
export function bestCorrelation(
  reference: ArrayLike<number>,
  signal: ArrayLike<number>,
  maxLag = 8000,
): { correlation: number; lag: number } {
  let best = { correlation: -1, lag: 0 };
  const n = reference.length;
  for (let lag = 0; lag <= maxLag && lag < signal.length; lag++) {
    const m = Math.min(n, signal.length - lag);
    if (m < n / 2) break;
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i < m; i++) {
      const x = reference[i] as number;
      const y = signal[i + lag] as number;
      xy += x * y;
      xx += x * x;
      yy += y * y;
    }
    const c = xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : 0;
    if (c > best.correlation) best = { correlation: c, lag };
  }
  return best;
}

/**
 * Normalised cross-correlation per segment: each `segmentSamples` piece of `reference` (skipping
 * near-silent ones) is matched at its best lag in `signal`. Real-time media on a loaded machine may
 * insert a gap (a scheduler stall shows as silence in a wall-clock recording) which shifts the lag of
 * everything after it; per-segment scores still prove the audio arrived intact, while a single
 * whole-signal lag would not survive one such shift.
 */
export function segmentCorrelations(
  reference: ArrayLike<number>,
  signal: ArrayLike<number>,
  segmentSamples = 2000,
): number[] {
  const scores: number[] = [];
  const ref = Float64Array.from(reference as ArrayLike<number>);
  const sig = Float64Array.from(signal as ArrayLike<number>);
  for (let start = 0; start + segmentSamples <= ref.length; start += segmentSamples) {
    const seg = ref.subarray(start, start + segmentSamples);
    let xx = 0;
    for (const v of seg) xx += v * v;
    if (Math.sqrt(xx / seg.length) < 100) continue;
    let yy = 0;
    for (let i = 0; i < segmentSamples && i < sig.length; i++) yy += (sig[i] as number) ** 2;
    let best = -1;
    for (let lag = 0; lag + segmentSamples <= sig.length; lag++) {
      let xy = 0;
      for (let i = 0; i < segmentSamples; i++) xy += (seg[i] as number) * (sig[lag + i] as number);
      const c = yy > 0 ? xy / Math.sqrt(xx * yy) : 0;
      if (c > best) best = c;
      // Slide the window energy by one sample.
      yy += (sig[lag + segmentSamples] ?? 0) ** 2 - (sig[lag] as number) ** 2;
    }
    scores.push(best);
  }
  return scores;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.floor((s.length - 1) / 2)] as number);
}
