/**
 * speech.timeout_ms for a stream: a time budget that runs only while we wait for the provider. While
 * the consumer holds a chunk (a player that takes audio at the pace it plays), the clock stands still,
 * so a long reply played in real time is not cut by the limit meant for a slow provider.
 */
export class ProviderClock {
  private remaining: number;
  private startedAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private expired = false;

  constructor(
    readonly limitMs: number,
    private readonly onExpire: () => void,
  ) {
    this.remaining = limitMs;
  }

  /** Starts (or resumes) counting. */
  run(): void {
    if (this.startedAt !== undefined || this.expired) return;
    this.startedAt = Date.now();
    this.timer = setTimeout(
      () => {
        this.expired = true;
        this.onExpire();
      },
      Math.max(0, this.remaining),
    );
  }

  /** Stops counting; what is left of the budget waits for the next `run`. */
  pause(): void {
    if (this.startedAt === undefined) return;
    clearTimeout(this.timer);
    this.remaining -= Date.now() - this.startedAt;
    this.startedAt = undefined;
  }

  stop(): void {
    this.pause();
    this.expired = true;
  }
}
