/**
 * Tracks one outgoing REFER (RFC 3515): the REFER's own answer, then the NOTIFYs whose message/sipfrag
 * bodies carry the transfer's progress, until a final status, the subscription ends, or time runs out.
 * What each of those means is the shared rule in src/telephony/sip/refer-outcome.ts.
 */
import type { ReferOutcome } from '../port.js';
import { parseSipfrag } from '../sip/sipfrag.js';
import {
  referOutcomeForNotify,
  referOutcomeForResponse,
  referTimedOut,
  type ReferResponse,
} from '../sip/refer-outcome.js';
import type { SipRequest } from './sip/sip-message.js';
import type { TimerRegistry } from './sip/timer-registry.js';

export class ReferTracker {
  private lastStatus?: number;
  private accepted = false;
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
  referAnswered(response: ReferResponse): void {
    const decided = referOutcomeForResponse(response);
    if (decided === undefined || this.done) return;
    if (decided !== 'accepted') return this.settle(decided);
    // Accepted (202/200): now the NOTIFYs must bring a final status within the timeout.
    this.accepted = true;
    this.timer = this.timers.set(this.notifyTimeoutMs, () =>
      this.settle(referTimedOut(true, this.lastStatus)),
    );
  }

  /** A NOTIFY for the refer subscription; returns false when its body is not a sipfrag we can read. */
  notify(request: SipRequest): boolean {
    const sipfrag = parseSipfrag(request.body);
    const terminated = /^\s*terminated/i.test(request.headers.get('subscription-state') ?? '');
    if (sipfrag) {
      this.lastStatus = sipfrag.status;
      this.onProgress(sipfrag.status);
    }
    // A NOTIFY can overtake the REFER's 202 (RFC 3515 §2.4.4): it proves the REFER was accepted.
    this.accepted = true;
    const decided = referOutcomeForNotify({ ...(sipfrag ? { sipfrag } : {}), terminated }, this.lastStatus);
    if (decided) this.settle(decided);
    return sipfrag !== undefined;
  }

  /** The leg ended before a final outcome. */
  cancel(): void {
    this.settle(referTimedOut(this.accepted, this.lastStatus));
  }
}
