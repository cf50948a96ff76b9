import { describe, expect, it } from 'vitest';
import {
  FRAME_MS,
  MediaClock,
  type ClockParticipant,
} from '../../../../../src/telephony/embedded/media/media-clock.js';
import { sleep } from './media-helpers.js';

function recorder(): ClockParticipant & { ticks: number[]; pushes: number } {
  const p = {
    ticks: [] as number[],
    pushes: 0,
    pull(tick: number) {
      p.ticks.push(tick);
    },
    push() {
      p.pushes++;
      return true;
    },
  };
  return p;
}

describe('shared media clock', () => {
  it('numbers ticks by absolute 20 ms deadlines, so timer lateness never accumulates', async () => {
    const errors: unknown[] = [];
    const clock = new MediaClock((e) => errors.push(e));
    const p = recorder();
    const started = performance.now();
    clock.add(p);
    await sleep(1000);
    const elapsed = performance.now() - started;
    clock.remove(p);
    const last = p.ticks[p.ticks.length - 1] as number;
    // The tick number tracks wall time (a chained setTimeout(20) would fall behind by its lateness).
    expect(Math.abs(last - elapsed / FRAME_MS)).toBeLessThanOrEqual(2);
    p.ticks.forEach((t, i) => i > 0 && expect(t).toBeGreaterThan(p.ticks[i - 1] as number));
    expect(p.pushes).toBe(p.ticks.length);
    const stats = clock.latencyStats();
    expect(stats.frames).toBe(p.pushes);
    expect(stats.p99).toBeGreaterThanOrEqual(stats.p50);
    expect(errors).toEqual([]);
  });

  it('drops a participant that throws and keeps driving the others', async () => {
    const errors: unknown[] = [];
    const clock = new MediaClock((e) => errors.push(e));
    const good = recorder();
    const bad: ClockParticipant = {
      pull() {
        throw new Error('boom');
      },
      push: () => false,
    };
    clock.add(bad);
    clock.add(good);
    await sleep(200);
    clock.remove(good);
    expect(errors).toHaveLength(1);
    expect(good.ticks.length).toBeGreaterThan(3);
    expect(clock.size).toBe(0);
  });
});
