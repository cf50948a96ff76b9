import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/calls/admission-token-bucket.js';
import { paceAllows, RATE_GUARD_MS } from '../../../src/campaigns/start-pacing.js';

/** Starts a pacer lets through when asked every `tickMs` for `ms`, from t = 0. */
function paced(ratePerS: number, tickMs: number, ms: number): number[] {
  const starts: number[] = [];
  for (let t = 0; t <= ms; t += tickMs) if (paceAllows(starts, ratePerS, t)) starts.push(t);
  return starts;
}

/** The most starts inside any one-second window [t, t + 1000). */
function maxPerSecond(starts: number[]): number {
  let max = 0;
  for (let i = 0, j = 0; i < starts.length; i++) {
    while (starts[i]! - starts[j]! >= 1000) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

describe('paceAllows', () => {
  it.each([
    [2, 10],
    [2, 100],
    [3, 10],
    [0.5, 100],
    [10, 1],
  ])(
    'at %d calls/s asked every %d ms: never more than the rate in any second, with room for jitter',
    (rate, tick) => {
      const starts = paced(rate, tick, 20_000);
      expect(maxPerSecond(starts)).toBeLessThanOrEqual(Math.max(1, Math.floor(rate)));
      // A start that reaches the wire up to RATE_GUARD_MS late still keeps the count.
      const late = starts.map((t, i) => t + (i % 2 ? RATE_GUARD_MS : 0));
      expect(maxPerSecond(late)).toBeLessThanOrEqual(Math.max(1, Math.floor(rate)));
      // And it is not much slower than asked: at least 80 % of the rate over 20 s.
      expect(starts.length).toBeGreaterThanOrEqual(Math.floor(rate * 20 * 0.8));
    },
  );

  it("is stricter than admission's token bucket: a start it allows always finds a token", () => {
    const bucket = new TokenBucket(2, 0);
    const starts: number[] = [];
    for (let t = 0; t <= 20_000; t += 7) {
      if (!paceAllows(starts, 2, t)) continue;
      expect(bucket.take(t), `t=${t}`).toBe(true);
      starts.push(t);
    }
  });

  it('the token bucket alone lets three calls into one second at 2 calls/s (why the runner paces itself)', () => {
    const bucket = new TokenBucket(2, 0);
    const taken = [0, 1, 500, 999].filter((t) => bucket.take(t));
    expect(taken).toEqual([0, 1, 500]);
    expect(maxPerSecond(taken)).toBe(3);
  });
});
