/**
 * bench/freeswitch.ts ramps calls per second and concurrent calls. FreeSWITCH refuses new sessions
 * above its own `sessions-per-second` (switch.conf.xml, 30 by default), so a concurrency step set up
 * at 160 calls/s measured that cap, not the application. The ramps now come from the limits the live
 * FreeSWITCH reports (`api status`).
 */
import { describe, expect, it } from 'vitest';
import { parseFreeswitchStatus, ramps } from '../../../../bench/freeswitch.js';

const STATUS = [
  'UP 0 years, 0 days, 0 hours, 29 minutes, 40 seconds, 423 milliseconds, 483 microseconds',
  'FreeSWITCH (Version 1.10.12-release  64bit) is ready',
  '0 session(s) since startup',
  '0 session(s) - peak 0, last 5min 0 ',
  '0 session(s) per Sec out of max 30, peak 0, last 5min 0 ',
  '1000 session(s) max',
  'min idle cpu 0.00/0.00',
].join('\n');

describe('bench:freeswitch ramps respect FreeSWITCH limits', () => {
  it('reads sessions-per-second and max-sessions from the status answer', () => {
    expect(parseFreeswitchStatus(STATUS)).toEqual({ sessionsPerSecond: 30, maxSessions: 1000 });
    expect(() => parseFreeswitchStatus('-ERR no such command')).toThrow(/without its session limits/);
  });

  it('never sets calls up faster than sessions-per-second allows, in either ramp', () => {
    const { cpsSteps, concurrencySteps } = ramps({ sessionsPerSecond: 30, maxSessions: 1000 });
    expect(Math.max(...cpsSteps)).toBeLessThan(30);
    expect(cpsSteps).toEqual([5, 10, 20, 27]);
    for (const step of concurrencySteps) {
      expect(step.rate).toBeLessThan(30);
      // Every call of the step is still up when the last one is set up.
      expect(step.holdMs).toBeGreaterThan((step.calls / step.rate) * 1000);
    }
    expect(concurrencySteps.map((s) => s.calls)).toEqual([25, 50, 100, 200, 400, 800]);
  });

  it('stops the concurrency ramp at max-sessions', () => {
    const { concurrencySteps } = ramps({ sessionsPerSecond: 80, maxSessions: 300 });
    expect(concurrencySteps.map((s) => s.calls)).toEqual([25, 50, 100, 200]);
  });
});
