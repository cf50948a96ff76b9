/**
 * Tracks one outgoing REFER (RFC 3515): the REFER's own answer, then the NOTIFYs whose message/sipfrag
 * bodies carry the transfer's progress, until a final status, the subscription ends, or time runs out.
 */
import type { ReferOutcome } from '../port.js';
import type { SipRequest } from './sip/sip-message.js';
import type { TimerRegistry } from './sip/timer-registry.js';

/** `SIP/2.0 200 OK` → 200; undefined when the body is not a sipfrag status line (RFC 3420). */
export function sipfragStatus(body: string): number | undefined {
  const m = /^SIP\/2\.0\s+(\d{3})/.exec(body.trim());
  return m ? Number(m[1]) : undefined;
}

export class ReferTracker {
  private lastStatus?: number;
  private timer?: NodeJS.Timeout;
  private settle!: (outcome: ReferOutcome) => void;
  readonly outcome: Promise<ReferOutcome>;
  private done = false;

  constructor(
    private readonly timers: TimerRegistry,
    private readonly notifyTimeoutMs: number,
    private readonly onProgress: (status: number) => void,
  ) {
    this.outcome = new Promise((resolve) => {
      this.settle = (o) => {
        if (this.done) return;
        this.done = true;
        this.timers.clear(this.timer);
        resolve(o);
      };
    });
  }

  get finished(): boolean {
    return this.done;
  }

  /** The REFER's final response (or its transaction timeout). */
  referAnswered(status: number, reason: string | undefined, timedOut: boolean): void {
    if (timedOut) return this.settle({ outcome: 'timeout', stage: 'refer' });
    if (status >= 300)
      return this.settle({ outcome: 'failed', stage: 'refer', status, ...(reason ? { reason } : {}) });
    // Accepted (202/200): now the NOTIFYs must bring a final status within the timeout.
    if (!this.done) {
      this.timer = this.timers.set(this.notifyTimeoutMs, () =>
        this.settle({
          outcome: 'timeout',
          stage: 'notify',
          ...(this.lastStatus ? { lastStatus: this.lastStatus } : {}),
        }),
      );
    }
  }

  /** A NOTIFY for the refer subscription; returns false when its body is not a sipfrag we can read. */
  notify(request: SipRequest): boolean {
    const status = sipfragStatus(request.body);
    const terminated = /^\s*terminated/i.test(request.headers.get('subscription-state') ?? '');
    if (status === undefined) {
      if (terminated && !this.done)
        this.settle({
          outcome: 'timeout',
          stage: 'notify',
          ...(this.lastStatus ? { lastStatus: this.lastStatus } : {}),
        });
      return false;
    }
    this.lastStatus = status;
    this.onProgress(status);
    if (status >= 200 && status < 300) this.settle({ outcome: 'completed', status });
    else if (status >= 300) {
      const reason = /^SIP\/2\.0\s+\d{3}\s+(.*)$/m.exec(request.body.trim())?.[1];
      this.settle({ outcome: 'failed', stage: 'notify', status, ...(reason ? { reason } : {}) });
    } else if (terminated) this.settle({ outcome: 'timeout', stage: 'notify', lastStatus: status });
    return true;
  }

  cancel(): void {
    this.settle({
      outcome: 'timeout',
      stage: this.lastStatus ? 'notify' : 'refer',
      ...(this.lastStatus ? { lastStatus: this.lastStatus } : {}),
    });
  }
}
