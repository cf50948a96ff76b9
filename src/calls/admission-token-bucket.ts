/**
 * A token bucket for the calls-per-second limits: `ratePerS` tokens a second, holding at most one
 * second's worth (so a quiet minute does not let a burst of sixty calls through at once).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  readonly capacity: number;

  constructor(
    readonly ratePerS: number,
    now: number,
  ) {
    this.capacity = Math.max(1, ratePerS);
    this.tokens = this.capacity;
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.ratePerS);
      this.last = now;
    }
  }

  /** True when a token is there now (none is taken). */
  available(now: number): boolean {
    this.refill(now);
    return this.tokens >= 1;
  }

  take(now: number): boolean {
    if (!this.available(now)) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until the next token (0 when one is there). */
  msUntilToken(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.ratePerS) * 1000);
  }
}
