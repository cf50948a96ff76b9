/**
 * Small signal tools for the audio acceptance tests: write test WAVs, decode recordings, measure a
 * tone's share of a signal (Goertzel) and how well two signals match (normalised cross-correlation).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import alawmulaw from 'alawmulaw';
import { decodeWav } from '../../../src/telephony/embedded/media/index.js';
import { RATE, wavBytes } from '../../helpers/audio.js';
import { readPcapUdp } from '../../helpers/pcap.js';

export { rms } from '../../helpers/audio.js';

export function toneSamples(freq: number, seconds: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(Math.round(seconds * RATE));
  for (let i = 0; i < out.length; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / RATE));
  return out;
}

/** A deterministic, non-periodic test signal (chirps + noise bursts) that correlates at one lag only. */
export function signatureSamples(seconds: number): Int16Array {
  const out = new Int16Array(Math.round(seconds * RATE));
  let seed = 12345;
  for (let i = 0; i < out.length; i++) {
    const t = i / RATE;
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const noise = ((seed / 0x7fffffff) * 2 - 1) * (Math.floor(t * 4) % 2 === 0 ? 0.5 : 0);
    const chirp = Math.sin(2 * Math.PI * (300 + 400 * (t % 1)) * t);
    out[i] = Math.round(6000 * (chirp * 0.6 + noise * 0.4));
  }
  return out;
}

export function writeWav(path: string, samples: Int16Array): void {
  writeFileSync(path, wavBytes(samples));
}

export function readWav(path: string): Int16Array {
  return decodeWav(readFileSync(path), path);
}

/** Share of the signal's power at `freq` (0..1), by Goertzel over the whole buffer. */
export function toneShare(samples: Int16Array, freq: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const k = (2 * Math.PI * freq) / RATE;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (let i = 0; i < n; i++) {
    const x = samples[i] as number;
    energy += x * x;
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return energy === 0 ? 0 : (2 * power) / (n * energy);
}

/** Best normalised cross-correlation of `probe` inside `haystack` over every lag (slow but small inputs). */
export function bestCorrelation(
  haystack: Int16Array,
  probe: Int16Array,
  step = 1,
): { score: number; lag: number } {
  let best = { score: 0, lag: 0 };
  let pe = 0;
  for (const x of probe) pe += x * x;
  for (let lag = 0; lag + probe.length <= haystack.length; lag += step) {
    let dot = 0;
    let he = 0;
    for (let i = 0; i < probe.length; i++) {
      const h = haystack[lag + i] as number;
      dot += h * (probe[i] as number);
      he += h * h;
    }
    const score = he && pe ? dot / Math.sqrt(he * pe) : 0;
    if (score > best.score) best = { score, lag };
  }
  return best;
}

/**
 * PCMA audio of every RTP packet in a pcap file, in capture order. Decoded by alawmulaw and a plain
 * 12-byte header (sipp's pcaps carry no CSRC, extension or padding), not by the media layer under test.
 */
export function pcapAlawAudio(path: string): Int16Array {
  const chunks = readPcapUdp(path)
    .map((d) => d.payload)
    .filter((rtp) => rtp.length > 12 && ((rtp[1] as number) & 0x7f) === 8)
    .map((rtp) => alawmulaw.alaw.decode(rtp.subarray(12)));
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}
