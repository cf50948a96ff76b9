/** A signal that aborts at a deadline or with any of the caller's signals; see `deadline`. */
export interface Deadline {
  signal: AbortSignal;
  /** True once the deadline itself fired (not one of the other signals). */
  readonly timedOut: boolean;
  /** Stops the timer; call it once the answer has been read. */
  clear(): void;
}

/**
 * Aborts after `ms` (reason: a `TimeoutError` DOMException, as `AbortSignal.timeout` gives) or when any
 * of `signals` aborts. The timer is our own and held until `clear()`: a bare `AbortSignal.timeout()`
 * inside `AbortSignal.any()` is only weakly held, and under GC pressure it was seen never to fire (the
 * request then hung past its timeout).
 */
export function deadline(ms: number, ...signals: Array<AbortSignal | undefined>): Deadline {
  const own = new AbortController();
  const timer = setTimeout(() => own.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')), ms);
  const others = signals.filter((s): s is AbortSignal => s !== undefined);
  return {
    signal: others.length > 0 ? AbortSignal.any([own.signal, ...others]) : own.signal,
    get timedOut() {
      return own.signal.aborted;
    },
    clear: () => clearTimeout(timer),
  };
}
