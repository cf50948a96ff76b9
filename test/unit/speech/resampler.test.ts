import { describe, expect, it } from 'vitest';
import { Resampler } from '../../../src/speech/audio/resampler.js';
import { upsampleTo16k } from '../../../src/speech/recognition/utterance-prep.mjs';

function sine(rate: number, hz: number, n: number): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate)));
}

/** Power share of `hz` (Goertzel) in x at `rate`. */
function share(x: Int16Array, rate: number, hz: number): number {
  const w = (2 * Math.PI * hz) / rate;
  let s1 = 0;
  let s2 = 0;
  let total = 0;
  for (const v of x) {
    const s = v + 2 * Math.cos(w) * s1 - s2;
    s2 = s1;
    s1 = s;
    total += v * v;
  }
  const p = s1 * s1 + s2 * s2 - 2 * Math.cos(w) * s1 * s2;
  return (2 * p) / (x.length * total);
}

describe('resampling', () => {
  it('24 kHz to 8 kHz in chunks keeps a 1 kHz tone and the length, with no click at chunk edges', () => {
    const r = new Resampler(24000, 8000);
    const input = sine(24000, 1000, 24000);
    const parts: Int16Array[] = [];
    for (let at = 0; at < input.length; at += 997) parts.push(r.process(input.subarray(at, at + 997)));
    const out = Int16Array.from(parts.flatMap((p) => [...p]));
    expect(Math.abs(out.length - 8000)).toBeLessThanOrEqual(2);
    expect(share(out.subarray(100), 8000, 1000)).toBeGreaterThan(0.95);
  });

  it('a 3.5 kHz tone at 22.05 kHz does not alias into the 8 kHz band as a loud image', () => {
    const out = new Resampler(22050, 8000).process(sine(22050, 6000, 22050));
    const rms = Math.sqrt(out.reduce((s, v) => s + v * v, 0) / out.length);
    // 6 kHz is above the new Nyquist frequency: the low-pass removes most of it.
    expect(rms).toBeLessThan(8000 * 0.707 * 0.1);
  });

  it('8 kHz to 16 kHz keeps the tone and leaves the upper band empty', () => {
    const out = upsampleTo16k(sine(8000, 1000, 8000));
    expect(out.length).toBe(16000);
    expect(share(out.subarray(100, 15900), 16000, 1000)).toBeGreaterThan(0.95);
    expect(share(out.subarray(100, 15900), 16000, 7000)).toBeLessThan(0.01);
  });
});
