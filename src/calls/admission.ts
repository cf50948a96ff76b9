/**
 * Admission control: whether a new call (in or out) may start now. Limits (config `admission` and
 * per trunk `sip.trunks[].max_concurrent_calls` / `max_calls_per_second`): calls at once, new calls
 * per second (token buckets), the event-loop overload signal (`admission.auto`), and the drain.
 * A refused call in gets 503 with Retry-After (RFC 3261 §21.5.4) before anything else is sent for it,
 * so the caller (or the proxy in front) tries elsewhere instead of waiting on a node that is full.
 * The backends consult it through the telephony port's AdmissionGate; calls out through CallManager.
 */
import { CallwrightError } from '../errors.js';
import type { AdmissionSettings, SipTrunkSettings } from '../config/schema.js';
import type {
  AdmissionDecision,
  AdmissionGate,
  AdmissionRefusal,
  AdmissionRefusalReason,
} from '../telephony/port.js';
import { TokenBucket } from './admission-token-bucket.js';
import { EventLoopOverload } from './admission-overload.js';

export type { AdmissionRefusal, AdmissionRefusalReason } from '../telephony/port.js';

/** The shape the metrics read (fixed for every part that reads it). */
export interface AdmissionStats {
  active: number;
  draining: boolean;
  refusals: Record<string, number>;
}

export interface AdmissionRequest {
  direction: 'inbound' | 'outbound';
  trunk?: string;
}

interface Scope {
  /** Setting path prefix for messages: `admission` or `sip.trunks[carrier]`. */
  path: string;
  maxConcurrent: number;
  active: number;
  bucket?: TokenBucket;
  /** When the calls of the last ADMITTED_WINDOW_MS were admitted (rate-limited scopes only). */
  admittedAt: number[];
}

/** How far back a scope remembers its admits: enough for a one-second window and its margin. */
const ADMITTED_WINDOW_MS = 2000;

/**
 * What a new call would meet now (AdmissionControl.outlook), without taking or counting anything:
 * a dialler reads it to wait for a place instead of being refused.
 */
export interface AdmissionOutlook {
  /** The first limit a new call would break now; undefined when it would be admitted. */
  refusal?: AdmissionRefusal;
  /**
   * Each calls-per-second limit the call would pass (the total, its trunk): the rate, and when the
   * calls of the last two seconds were admitted (ms, on `now`'s clock), in order.
   */
  rates: Array<{ limit: string; ratePerS: number; admittedAt: readonly number[] }>;
  now: number;
}

export interface AdmissionDeps {
  trunks?: readonly Pick<SipTrunkSettings, 'name' | 'max_concurrent_calls' | 'max_calls_per_second'>[];
  now?: () => number;
  /** The overload signal; by default the event-loop monitor when `settings.auto` is on. */
  overload?: Pick<EventLoopOverload, 'overloaded' | 'lastMeanMs' | 'start' | 'stop'>;
}

/** Refused call out (POST /calls): HTTP 503 with Retry-After and the limit named in the body. */
export class AdmissionRefusedError extends CallwrightError {
  constructor(readonly refusal: AdmissionRefusal) {
    super('UNAVAILABLE', refusal.message);
    this.name = 'AdmissionRefusedError';
  }

  override toJSON(): { code: 'UNAVAILABLE'; message: string } & Record<string, unknown> {
    return {
      code: 'UNAVAILABLE',
      message: this.message,
      reason: this.refusal.reason,
      limit: this.refusal.limit,
      retry_after_s: this.refusal.retryAfterS,
    };
  }
}

export class AdmissionControl implements AdmissionGate {
  private readonly total: Scope;
  private readonly trunks = new Map<string, Scope>();
  private readonly refusals: Record<AdmissionRefusalReason, number> = {
    concurrency: 0,
    rate: 0,
    overload: 0,
    'rtp-ports': 0,
    draining: 0,
  };
  private draining = false;
  private readonly now: () => number;
  private readonly overload: AdmissionDeps['overload'];
  /** Woken when a place frees (calls out queued for one). */
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly settings: AdmissionSettings,
    deps: AdmissionDeps = {},
  ) {
    this.now = deps.now ?? Date.now;
    const t0 = this.now();
    this.total = scope('admission', settings.max_concurrent_calls, settings.max_calls_per_second, t0);
    for (const t of deps.trunks ?? []) {
      this.trunks.set(
        t.name,
        scope(`sip.trunks[${t.name}]`, t.max_concurrent_calls ?? 0, t.max_calls_per_second ?? 0, t0),
      );
    }
    this.overload = deps.overload ?? (settings.auto ? new EventLoopOverload() : undefined);
    this.overload?.start();
  }

  /** Stops the overload monitor. */
  close(): void {
    this.overload?.stop();
    this.wake();
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** From now on every new call is refused (503 + Retry-After) and OPTIONS answers 503. */
  startDrain(): void {
    this.draining = true;
    this.wake();
  }

  stats(): AdmissionStats {
    return { active: this.total.active, draining: this.draining, refusals: { ...this.refusals } };
  }

  /** For /ready: not ready while draining (a load balancer stops sending new work). */
  readiness(): { ready: boolean; detail?: string } {
    return this.draining
      ? { ready: false, detail: `draining: ${this.total.active} calls in progress, no new calls` }
      : { ready: true, detail: `${this.total.active} calls in progress` };
  }

  admit(request: AdmissionRequest): AdmissionDecision {
    const refusal = this.check(request);
    if (refusal) return { admitted: false, refusal: this.count(refusal) };
    const now = this.now();
    const scopes = this.scopesOf(request.trunk);
    for (const s of scopes) {
      s.active++;
      if (!s.bucket) continue;
      s.bucket.take(now);
      s.admittedAt = s.admittedAt.filter((t) => t > now - ADMITTED_WINDOW_MS);
      s.admittedAt.push(now);
    }
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        for (const s of scopes) s.active = Math.max(0, s.active - 1);
        this.wake();
      },
    };
  }

  /**
   * Whether a call like `request` would be admitted now, and the recent admits of each rate limit on
   * its way, so the campaign runner paces itself on the state every call shares (calls in and out,
   * every campaign) rather than on a count of its own. Nothing is taken, no refusal is counted.
   */
  outlook(request: AdmissionRequest): AdmissionOutlook {
    const now = this.now();
    const refusal = this.check(request);
    const rates = this.scopesOf(request.trunk).flatMap((s) =>
      s.bucket
        ? [
            {
              limit: `${s.path}.max_calls_per_second`,
              ratePerS: s.bucket.ratePerS,
              admittedAt: s.admittedAt.filter((t) => t > now - ADMITTED_WINDOW_MS),
            },
          ]
        : [],
    );
    return { ...(refusal ? { refusal } : {}), rates, now };
  }

  probe(): AdmissionRefusal | undefined {
    if (this.draining) return this.refusal('draining', 'calls.drain', 'the server is draining; no new calls');
    if (this.overload?.overloaded) return this.overloadRefusal();
    const t = this.total;
    if (t.maxConcurrent > 0 && t.active >= t.maxConcurrent) return this.concurrencyRefusal(t);
    return undefined;
  }

  refuse(reason: AdmissionRefusalReason, message: string): AdmissionRefusal {
    const limit =
      reason === 'rtp-ports'
        ? 'media.rtp_port_min..rtp_port_max'
        : reason === 'draining'
          ? 'calls.drain'
          : `admission (${reason})`;
    return this.count(this.refusal(reason, limit, message));
  }

  /**
   * Admits a call out, waiting for a place up to `timeoutMs` when over a limit (calls out asked to
   * queue). Draining is never waited out. Resolves with the last refusal when the time is up.
   */
  async admitWithin(
    request: AdmissionRequest,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<AdmissionDecision> {
    const deadline = this.now() + timeoutMs;
    for (;;) {
      const refusal = this.check(request);
      if (!refusal) return this.admit(request);
      const left = deadline - this.now();
      if (refusal.reason === 'draining' || left <= 0 || signal?.aborted)
        return { admitted: false, refusal: this.count(refusal) };
      // Woken by a freed place, or when the next token is due; overload is polled every 250 ms.
      const wait = Math.min(left, refusal.reason === 'rate' ? this.msUntilToken(request.trunk) : 250);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(1, wait));
        this.waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private msUntilToken(trunk: string | undefined): number {
    const now = this.now();
    return Math.max(1, ...this.scopesOf(trunk).map((s) => s.bucket?.msUntilToken(now) ?? 0));
  }

  private scopesOf(trunk: string | undefined): Scope[] {
    const t = trunk ? this.trunks.get(trunk) : undefined;
    return t ? [this.total, t] : [this.total];
  }

  /** The first limit a new call would break now, without taking anything. */
  private check(request: AdmissionRequest): AdmissionRefusal | undefined {
    if (this.draining) return this.refusal('draining', 'calls.drain', 'the server is draining; no new calls');
    if (this.overload?.overloaded) return this.overloadRefusal();
    const scopes = this.scopesOf(request.trunk);
    for (const s of scopes) {
      if (s.maxConcurrent > 0 && s.active >= s.maxConcurrent) return this.concurrencyRefusal(s);
    }
    const now = this.now();
    for (const s of scopes) {
      if (s.bucket && !s.bucket.available(now)) {
        return this.refusal(
          'rate',
          `${s.path}.max_calls_per_second`,
          `${s.path}.max_calls_per_second (${s.bucket.ratePerS}) reached: too many new calls this second`,
        );
      }
    }
    return undefined;
  }

  private concurrencyRefusal(s: Scope): AdmissionRefusal {
    return this.refusal(
      'concurrency',
      `${s.path}.max_concurrent_calls`,
      `${s.path}.max_concurrent_calls (${s.maxConcurrent}) reached: ${s.active} calls in progress`,
    );
  }

  private overloadRefusal(): AdmissionRefusal {
    const ms = Math.round(this.overload?.lastMeanMs ?? 0);
    return this.refusal(
      'overload',
      'admission.auto',
      `admission.auto: the server is overloaded (event-loop delay ${ms} ms); no new calls`,
    );
  }

  private refusal(reason: AdmissionRefusalReason, limit: string, message: string): AdmissionRefusal {
    return { reason, limit, message, retryAfterS: this.settings.retry_after_s };
  }

  private count(refusal: AdmissionRefusal): AdmissionRefusal {
    this.refusals[refusal.reason]++;
    return refusal;
  }
}

function scope(path: string, maxConcurrent: number, ratePerS: number, now: number): Scope {
  return {
    path,
    maxConcurrent,
    active: 0,
    admittedAt: [],
    ...(ratePerS > 0 ? { bucket: new TokenBucket(ratePerS, now) } : {}),
  };
}
