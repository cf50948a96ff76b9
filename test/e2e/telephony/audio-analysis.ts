/**
 * Small signal tools for the audio acceptance tests: write test WAVs, decode recordings, measure a
 * tone's share of a signal (Goertzel) and how well two signals match (normalised cross-correlation).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import alawmulaw from 'alawmulaw';
import { decodeWav } from '../../../src/telephony/embedded/media/index.js';
import { RATE, wavBytes } from '../../helpers/audio.js';

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

/** PCMA audio of every RTP packet in a pcap file (classic libpcap, Ethernet/IPv4/UDP), decoded. */
export function pcapAlawAudio(path: string): Int16Array {
  const buf = readFileSync(path);
  const little = buf.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number): number => (little ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20);
  const chunks: Int16Array[] = [];
  for (let off = 24; off + 16 <= buf.length;) {
    const incl = u32(off + 8);
    const pkt = buf.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const l2 = linkType === 1 ? 14 : linkType === 113 ? 16 : 0;
    const ihl = ((pkt[l2] ?? 0) & 0x0f) * 4;
    const rtp = pkt.subarray(l2 + ihl + 8);
    if (rtp.length <= 12 || ((rtp[1] ?? 0) & 0x7f) !== 8) continue;
    chunks.push(alawmulaw.alaw.decode(rtp.subarray(12)));
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const out = new Int16Array(total);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}
