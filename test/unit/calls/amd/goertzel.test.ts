import { describe, expect, it } from 'vitest';
import { dominantTone, frameEnergy, goertzelPower, levelDbfs } from '../../../../src/calls/amd/goertzel.js';
import { ToneTracker, type ToneRun } from '../../../../src/calls/amd/tone-tracker.js';
import { seededRandom } from '../../../helpers/amd-corpus.js';

const RATE = 8000;
const FRAME = 160;

/** `ms` of a tone at `hz` (peak `level` of full scale) plus white noise at `noiseDbfs` RMS. */
function signal(
  parts: { hz: number | null; ms: number; level?: number }[],
  noiseDbfs = -50,
  seed = 1,
): Int16Array {
  const rnd = seededRandom(seed);
  const noise = 10 ** (noiseDbfs / 20) * 32767;
  const total = parts.reduce((n, p) => n + (p.ms * RATE) / 1000, 0);
  const out = new Int16Array(total);
  let i = 0;
  for (const p of parts) {
    const n = (p.ms * RATE) / 1000;
    for (let k = 0; k < n; k++, i++) {
      const tone = p.hz === null ? 0 : (p.level ?? 0.3) * 32767 * Math.sin((2 * Math.PI * p.hz * k) / RATE);
      const white = (rnd() + rnd() + rnd() - 1.5) * 2 * noise;
      out[i] = Math.max(-32768, Math.min(32767, Math.round(tone + white)));
    }
  }
  return out;
}

function track(pcm: Int16Array, dominance = 0.85): ToneRun[] {
  const tracker = new ToneTracker({ minHz: 400, maxHz: 2150, dominance, minDbfs: -40 });
  const runs: ToneRun[] = [];
  for (let f = 0; (f + 1) * FRAME <= pcm.length; f++) {
    const frame = pcm.subarray(f * FRAME, (f + 1) * FRAME);
    const energy = frameEnergy(frame);
    const ended = tracker.frame(frame, energy, levelDbfs(energy, FRAME), f * 20);
    if (ended) runs.push(ended);
  }
  const last = tracker.current;
  if (last) runs.push(last);
  return runs;
}

describe('Goertzel', () => {
  it('a clean tone on the filter frequency holds all the frame energy, elsewhere almost none', () => {
    const frame = signal([{ hz: 1000, ms: 20 }], -120);
    const energy = frameEnergy(frame);
    expect(goertzelPower(frame, 1000) / energy).toBeCloseTo(1, 2);
    expect(goertzelPower(frame, 1400) / energy).toBeLessThan(0.01);
  });

  it.each([440, 850, 1000, 1020, 1400, 1437, 1975])(
    'finds a %i Hz tone under noise within a few Hz, holding most of the frame',
    (hz) => {
      const frame = signal([{ hz, ms: 20, level: 0.1 }], -45, hz);
      const tone = dominantTone(frame, frameEnergy(frame), 400, 2000);
      expect(Math.abs(tone.hz - hz)).toBeLessThanOrEqual(8);
      expect(tone.dominance).toBeGreaterThan(0.9);
    },
  );

  it('white noise has no dominant tone', () => {
    const frame = signal([{ hz: null, ms: 20 }], -20);
    expect(dominantTone(frame, frameEnergy(frame), 400, 2000).dominance).toBeLessThan(0.3);
  });

  it('digital silence is no tone (and costs no division by zero)', () => {
    expect(dominantTone(new Int16Array(FRAME), 0, 400, 2000)).toEqual({ hz: 0, dominance: 0 });
  });
});

describe('tone tracker', () => {
  it('a 300 ms beep in noise is one run, at its frequency, starting and lasting as it does', () => {
    const runs = track(
      signal([
        { hz: null, ms: 400 },
        { hz: 1400, ms: 300 },
        { hz: null, ms: 400 },
      ]),
    );
    expect(runs).toHaveLength(1);
    expect(Math.abs(runs[0]!.hz - 1400)).toBeLessThan(8);
    expect(Math.abs(runs[0]!.startMs - 400)).toBeLessThanOrEqual(20);
    expect(Math.abs(runs[0]!.durationMs - 300)).toBeLessThanOrEqual(20);
  });

  it('a tone that changes frequency ends one run and starts the next', () => {
    const runs = track(
      signal([
        { hz: 1000, ms: 200 },
        { hz: 1400, ms: 200 },
        { hz: null, ms: 100 },
      ]),
    );
    expect(runs.map((r) => Math.round(r.hz / 100) * 100)).toEqual([1000, 1400]);
  });

  it('a glide (as a voice moves) makes no long run: a beep is steady', () => {
    const rnd = seededRandom(3);
    const pcm = new Int16Array(RATE);
    let phase = 0;
    for (let i = 0; i < pcm.length; i++) {
      phase += (2 * Math.PI * (500 + (600 * i) / pcm.length)) / RATE; // 500 → 1100 Hz in 1 s
      pcm[i] = Math.round(0.3 * 32767 * Math.sin(phase) + (rnd() - 0.5) * 100);
    }
    for (const run of track(pcm)) expect(run.durationMs).toBeLessThan(80);
  });

  it('a tone too quiet for the floor is not tracked', () => {
    expect(track(signal([{ hz: 1000, ms: 300, level: 0.005 }], -70))).toEqual([]);
  });
});
