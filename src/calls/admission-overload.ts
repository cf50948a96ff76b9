/**
 * The `admission.auto` limit: refuse new calls while the event loop is overloaded, so offered load
 * beyond capacity does not drag every call in progress down with it (congestion collapse, RFC 6357 §3).
 * The delay of the event loop (perf_hooks.monitorEventLoopDelay) is the signal: media pacing, SIP
 * timers and HTTP all run on that loop.
 *
 * Thresholds: the loop counts as overloaded once the mean delay (lateness beyond the 10 ms sampling
 * timer) of two successive 1 s windows is at least 50 ms (more than two RTP frames late on average, sustained, not one GC pause or one slow
 * synchronous write, which barely move a mean); it is taken off again after one window under 25 ms.
 * An idle or normally busy server measures a few ms, so it never refuses at normal load.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface OverloadThresholds {
  windowMs: number;
  enterMeanMs: number;
  /** Successive windows at or over `enterMeanMs` before new calls are refused. */
  enterWindows: number;
  leaveMeanMs: number;
}

export const DEFAULT_OVERLOAD_THRESHOLDS: OverloadThresholds = {
  windowMs: 1000,
  enterMeanMs: 50,
  enterWindows: 2,
  leaveMeanMs: 25,
};

/** Mean delay (ms) of one window, then reset; tests pass their own. */
export interface DelaySampler {
  sampleMeanMs(): number;
  close(): void;
}

/** Sampling timer of the histogram, ms. */
const RESOLUTION_MS = 10;

export function eventLoopDelaySampler(): DelaySampler {
  const h: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  return {
    sampleMeanMs() {
      // Each sample is the time between two ticks of the sampling timer, so an idle loop measures
      // the resolution itself (about 10 ms); lateness is what lies beyond it. NaN before any sample.
      const mean = h.count > 0 ? h.mean / 1e6 : RESOLUTION_MS;
      h.reset();
      return Math.max(0, mean - RESOLUTION_MS);
    },
    close: () => h.disable(),
  };
}

export class EventLoopOverload {
  private hot = 0;
  private state = false;
  private last = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly thresholds: OverloadThresholds = DEFAULT_OVERLOAD_THRESHOLDS,
    private readonly sampler: DelaySampler = eventLoopDelaySampler(),
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.observe(this.sampler.sampleMeanMs()), this.thresholds.windowMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.sampler.close();
  }

  get overloaded(): boolean {
    return this.state;
  }

  /** Mean event-loop delay of the last window, ms. */
  get lastMeanMs(): number {
    return this.last;
  }

  /** Takes one window's mean delay (called by the timer; tests call it directly). */
  observe(meanMs: number): void {
    const t = this.thresholds;
    this.last = meanMs;
    if (meanMs >= t.enterMeanMs) this.hot++;
    else this.hot = 0;
    if (!this.state && this.hot >= t.enterWindows) this.state = true;
    else if (this.state && meanMs < t.leaveMeanMs) this.state = false;
  }
}
