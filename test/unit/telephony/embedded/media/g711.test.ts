import alawmulaw from 'alawmulaw';
import { describe, expect, it } from 'vitest';
import {
  decodeInto,
  decodeTable,
  encodeInto,
  encodeTable,
  SILENCE_CODE,
  type G711Codec,
} from '../../../../../src/telephony/embedded/media/g711.js';
import { tone, toInt16 } from '../../../../helpers/audio.js';

describe.each<G711Codec>(['PCMU', 'PCMA'])('G.711 %s lookup tables', (codec) => {
  const reference = codec === 'PCMU' ? alawmulaw.mulaw : alawmulaw.alaw;

  it('decode → encode → decode is stable for every code', () => {
    const dec = decodeTable(codec);
    const enc = encodeTable(codec);
    for (let code = 0; code < 256; code++) {
      const sample = dec[code] as number;
      expect(dec[enc[sample + 32768] as number]).toBe(sample);
    }
  });

  it('matches the reference coder on a sweep of samples', () => {
    const samples = Int16Array.from({ length: 4096 }, (_, i) => -32768 + i * 16);
    const ours = new Uint8Array(samples.length);
    encodeInto(encodeTable(codec), samples, ours, 0, samples.length);
    expect(Array.from(ours)).toEqual(Array.from(reference.encode(samples)));
  });

  it('round-trips a 1 kHz tone with > 30 dB signal-to-noise', () => {
    const pcm = toInt16(tone(8000, 0.5, 1000, 0.5));
    const codes = new Uint8Array(pcm.length);
    const back = new Int16Array(pcm.length);
    encodeInto(encodeTable(codec), pcm, codes, 0, pcm.length);
    decodeInto(decodeTable(codec), codes, 0, back, 0, pcm.length);
    let signal = 0;
    let noise = 0;
    pcm.forEach((s, i) => {
      signal += s * s;
      noise += (s - (back[i] as number)) ** 2;
    });
    expect(10 * Math.log10(signal / noise)).toBeGreaterThan(30);
  });

  it('has a silence code that decodes to (almost) zero', () => {
    expect(Math.abs(decodeTable(codec)[SILENCE_CODE[codec]] as number)).toBeLessThanOrEqual(8);
  });
});
