import { performance } from 'node:perf_hooks';
import { LatenessHistogram } from './lateness-histogram.js';

export const FRAME_MS = 20;
/** A stall longer than this many frames is skipped instead of replayed in a burst. */
const MAX_CATCH_UP = 5;

/**
 * Something the clock drives each 20 ms. All `pull`s of a tick run before any `push`, so a bridged
 * session sends, in the same tick, what its peer received.
 */
export interface ClockParticipant {
  /** Takes in what arrived for this frame (playout, recording, timeouts). */
  pull(tick: number, nowMs: number): void;
  /** Sends this frame; true when a packet went out (its lateness is sampled). */
  push(tick: number, nowMs: number): boolean;
}

/**
 * One clock for every session. Tick n is due at start + n·20 ms on the monotonic clock; each timer is
 * set for the next absolute deadline, so timer lateness never accumulates (a chained setTimeout(20)
 * drifts by its lateness every frame). A stall of a few frames is caught up tick by tick, interleaved
 * with I/O, so peers get every frame; a longer one is skipped (sessions derive RTP timestamps from the tick number, so the gap shows
 * as a timestamp jump, RFC 3550 §5.1).
 */
export class MediaClock {
  private readonly participants = new Set<ClockParticipant>();
  private readonly lateness = new LatenessHistogram();
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private startMs = 0;
  private nextTick = 0;
  /** Ticks dropped after stalls longer than MAX_CATCH_UP frames (their frames were never sent). */
  private skipped = 0;
  private readonly run = (): void => this.onTimer();

  constructor(private readonly onError: (err: unknown) => void = () => undefined) {}

  /** Current tick number (frames since the clock started). */
  get tick(): number {
    return this.nextTick;
  }

  get size(): number {
    return this.participants.size;
  }

  add(p: ClockParticipant): void {
    this.participants.add(p);
    if (!this.timer && !this.immediate) this.start();
  }

  remove(p: ClockParticipant): void {
    this.participants.delete(p);
    if (this.participants.size === 0) this.stop();
  }

  latencyStats(): { p50: number; p99: number; max: number; frames: number; skippedTicks: number } {
    const h = this.lateness;
    return {
      p50: h.quantile(0.5),
      p99: h.quantile(0.99),
      max: h.max,
      frames: h.count,
      skippedTicks: this.skipped,
    };
  }

  resetStats(): void {
    this.lateness.reset();
    this.skipped = 0;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private start(): void {
    this.startMs = performance.now();
    this.nextTick = 0;
    this.schedule();
  }

  private schedule(): void {
    const due = this.startMs + this.nextTick * FRAME_MS;
    const delay = Math.max(0, Math.floor(due - performance.now()));
    this.timer = setTimeout(this.run, delay);
    // Sockets keep the process alive while calls exist; the clock alone must not.
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = null;
    this.immediate = null;
    const now = performance.now();
    const behind = Math.floor((now - this.startMs) / FRAME_MS) - this.nextTick;
    // Too far behind to catch up without a burst: drop the missed frames and resume at the present.
    if (behind > MAX_CATCH_UP) {
      this.nextTick += behind;
      this.skipped += behind;
    }
    this.runTick(this.nextTick, this.startMs + this.nextTick * FRAME_MS);
    this.nextTick++;
    if (this.participants.size === 0) return;
    // Behind after a stall: the next tick runs right after pending I/O (setImmediate follows the poll
    // phase), so packets that arrived during the stall are in the playout buffers before it reads them.
    if (this.startMs + this.nextTick * FRAME_MS <= performance.now()) this.immediate = setImmediate(this.run);
    else this.schedule();
  }

  private runTick(tick: number, dueMs: number): void {
    const nowMs = performance.now();
    for (const p of this.participants) {
      try {
        p.pull(tick, nowMs);
      } catch (err) {
        this.fail(p, err);
      }
    }
    const h = this.lateness;
    for (const p of this.participants) {
      try {
        if (p.push(tick, nowMs)) h.add(performance.now() - dueMs);
      } catch (err) {
        this.fail(p, err);
      }
    }
  }

  /** One session's bug must not stop every call's audio: drop it from the clock and report. */
  private fail(p: ClockParticipant, err: unknown): void {
    this.participants.delete(p);
    this.onError(err);
  }
}
