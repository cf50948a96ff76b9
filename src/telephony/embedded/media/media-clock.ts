import { performance } from 'node:perf_hooks';
import { LatenessHistogram } from './lateness-histogram.js';

export const FRAME_MS = 20;
/** Sessions are spread over this many phases of the 20 ms frame (5 ms apart). */
export const PHASES = 4;
const SLOT_MS = FRAME_MS / PHASES;
/** A stall longer than this many slots (100 ms) is skipped instead of replayed. */
const MAX_CATCH_UP = 5 * PHASES;

/**
 * Something the clock drives once per 20 ms frame. Within a phase all `pull`s run before any `push`.
 */
export interface ClockParticipant {
  /** Takes in what arrived for this frame (playout, recording, timeouts). */
  pull(tick: number, nowMs: number): void;
  /** Sends this frame; true when a packet went out (its lateness is sampled). */
  push(tick: number, nowMs: number): boolean;
}

/**
 * One clock for every session. Frame n of a session in phase p is due at start + n·20 + p·5 ms on the
 * monotonic clock, and each timer is set for the next absolute deadline, so timer lateness never
 * accumulates (a chained setTimeout(20) drifts by its lateness every frame). Spreading sessions over
 * four phases keeps each 20 ms stream exact while a thousand calls send in bursts of a quarter of
 * that, which is what frame lateness measures (a packet leaves when its turn in the burst comes).
 * A bridged pair may sit in different phases: each still forwards every frame of the other exactly
 * once, one slot or one frame later.
 * A stall of a few slots is caught up slot by slot, interleaved with I/O (setImmediate runs after the
 * poll phase, so packets that arrived during the stall are buffered before they are read); a longer
 * one is skipped: sessions derive RTP timestamps from the tick number, so the gap shows as a timestamp
 * jump (RFC 3550 §5.1) and no backlog remains.
 */
export class MediaClock {
  private readonly phases: Array<Set<ClockParticipant>> = Array.from({ length: PHASES }, () => new Set());
  private readonly phaseOf = new Map<ClockParticipant, Set<ClockParticipant>>();
  private readonly lateness = new LatenessHistogram();
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private startMs = 0;
  private nextSlot = 0;
  /** Slots dropped after stalls longer than MAX_CATCH_UP (their frames were never sent). */
  private skipped = 0;
  private readonly run = (): void => this.onTimer();

  constructor(private readonly onError: (err: unknown) => void = () => undefined) {}

  /** Current frame number (20 ms frames since the clock started). */
  get tick(): number {
    return Math.floor(this.nextSlot / PHASES);
  }

  get size(): number {
    return this.phaseOf.size;
  }

  add(p: ClockParticipant): void {
    if (this.phaseOf.has(p)) return;
    let phase = this.phases[0] as Set<ClockParticipant>;
    for (const candidate of this.phases) if (candidate.size < phase.size) phase = candidate;
    phase.add(p);
    this.phaseOf.set(p, phase);
    if (!this.timer && !this.immediate) this.start();
  }

  remove(p: ClockParticipant): void {
    this.phaseOf.get(p)?.delete(p);
    this.phaseOf.delete(p);
    if (this.phaseOf.size === 0) this.stop();
  }

  latencyStats(): { p50: number; p99: number; max: number; frames: number; skippedTicks: number } {
    const h = this.lateness;
    return {
      p50: h.quantile(0.5),
      p99: h.quantile(0.99),
      max: h.max,
      frames: h.count,
      skippedTicks: Math.round(this.skipped / PHASES),
    };
  }

  /** The lateness histogram's counts (merged across worker threads by the engine). */
  latenessSnapshot(): { counts: Uint32Array; total: number; maxMs: number; skippedTicks: number } {
    return { ...this.lateness.snapshot(), skippedTicks: Math.round(this.skipped / PHASES) };
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
    this.nextSlot = 0;
    this.schedule();
  }

  private schedule(): void {
    const due = this.startMs + this.nextSlot * SLOT_MS;
    const delay = Math.max(0, Math.floor(due - performance.now()));
    this.timer = setTimeout(this.run, delay);
    // Sockets keep the process alive while calls exist; the clock alone must not.
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = null;
    this.immediate = null;
    const behind = Math.floor((performance.now() - this.startMs) / SLOT_MS) - this.nextSlot;
    // Too far behind to catch up without a burst: drop the missed slots and resume at the present.
    if (behind > MAX_CATCH_UP) {
      this.nextSlot += behind;
      this.skipped += behind;
    }
    this.runSlot(this.nextSlot, this.startMs + this.nextSlot * SLOT_MS);
    this.nextSlot++;
    if (this.phaseOf.size === 0) return;
    if (this.startMs + this.nextSlot * SLOT_MS <= performance.now()) this.immediate = setImmediate(this.run);
    else this.schedule();
  }

  private runSlot(slot: number, dueMs: number): void {
    const group = this.phases[slot % PHASES] as Set<ClockParticipant>;
    if (group.size === 0) return;
    const tick = Math.floor(slot / PHASES);
    const nowMs = performance.now();
    for (const p of group) {
      try {
        p.pull(tick, nowMs);
      } catch (err) {
        this.fail(p, err);
      }
    }
    const h = this.lateness;
    for (const p of group) {
      try {
        if (p.push(tick, nowMs)) h.add(performance.now() - dueMs);
      } catch (err) {
        this.fail(p, err);
      }
    }
  }

  /** One session's bug must not stop every call's audio: drop it from the clock and report. */
  private fail(p: ClockParticipant, err: unknown): void {
    this.remove(p);
    this.onError(err);
  }
}
