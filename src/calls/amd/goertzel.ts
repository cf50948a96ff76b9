/** The telephony sample rate the detector works at (G.711). */
export const SAMPLE_RATE = 8000;

/**
 * Power of `frame` at `hz` (Goertzel's single-bin DFT), normalised so that a pure tone at exactly
 * `hz` gives the frame's energy (sum of squares): power / energy is the share of the frame the
 * frequency holds, 1 for a clean tone, near 0 for broadband sound.
 */
export function goertzelPower(frame: ArrayLike<number>, hz: number, rate = SAMPLE_RATE): number {
  const n = frame.length;
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = (frame[i] as number) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * power) / n;
}

/** Sum of squares of a frame. */
export function frameEnergy(frame: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < frame.length; i++) e += (frame[i] as number) ** 2;
  return e;
}

/** A frame's RMS level in dBFS (full scale = 32768); -120 for digital silence. */
export function levelDbfs(energy: number, samples: number): number {
  if (energy <= 0) return -120;
  return 10 * Math.log10(energy / samples / (32768 * 32768));
}

/** The strongest frequency of a frame in a band, and the share of the frame's energy it holds. */
export interface DominantTone {
  hz: number;
  /** Goertzel power at `hz` over the frame's energy: 0…1 (a little above 1 is rounding). */
  dominance: number;
}

/**
 * Finds the dominant frequency of one frame in [minHz, maxHz]: a coarse scan one bin width apart (a
 * 20 ms frame resolves 50 Hz; a tone half-way between two scan points still shows 40 % of its power
 * there, more than anything else in the frame when it dominates), then three halving refinements
 * around the best point, which end within 6 Hz of the tone. Beeps are rarely on a standard
 * frequency: this finds a 1,020 Hz or 1,437 Hz beep as well as a 1,000 Hz one. About 40 filters of
 * 160 samples for the 400-2,000 Hz band.
 */
export function dominantTone(
  frame: ArrayLike<number>,
  energy: number,
  minHz: number,
  maxHz: number,
  rate = SAMPLE_RATE,
): DominantTone {
  if (energy <= 0) return { hz: 0, dominance: 0 };
  const step = rate / frame.length;
  let bestHz = minHz;
  let best = -1;
  for (let hz = minHz; hz <= maxHz + 1e-9; hz += step) {
    const p = goertzelPower(frame, hz, rate);
    if (p > best) {
      best = p;
      bestHz = hz;
    }
  }
  for (let half = step / 2; half >= step / 8; half /= 2) {
    const centre = bestHz;
    for (const hz of [centre - half, centre + half]) {
      if (hz < minHz - step || hz > maxHz + step) continue;
      const p = goertzelPower(frame, hz, rate);
      if (p > best) {
        best = p;
        bestHz = hz;
      }
    }
  }
  return { hz: bestHz, dominance: best / energy };
}
