/**
 * How a REFER we sent ends (RFC 3515): one rule for both backends. The REFER's own final response says
 * whether the far end took the transfer on; then the NOTIFYs of the implicit subscription carry the
 * transferred call's progress as message/sipfrag (RFC 3515 §2.4.5) until a final status, the end of the
 * subscription, or our patience.
 */
import type { ReferOutcome } from '../port.js';
import type { SipfragStatus } from './sipfrag.js';

/** The REFER's final response, or `'timeout'` when its transaction timed out (Timer F, RFC 3261 §17.1.2.2). */
export type ReferResponse = { status: number; reason?: string } | 'timeout';

/**
 * `accepted` for a 2xx (202 Accepted, or 200 from older agents): the NOTIFYs decide from here.
 * A 408, like a transaction timeout (RFC 3261 §8.1.3.1 reports one as the other), is `timeout` at the
 * refer stage: nobody answered the REFER. Any other 3xx-6xx is `failed` at the refer stage with its status.
 * Undefined for a provisional status, which decides nothing.
 */
export function referOutcomeForResponse(response: ReferResponse): ReferOutcome | 'accepted' | undefined {
  if (response === 'timeout' || response.status === 408) return { outcome: 'timeout', stage: 'refer' };
  const { status, reason } = response;
  if (status < 200) return undefined;
  if (status < 300) return 'accepted';
  return reason
    ? { outcome: 'failed', stage: 'refer', status, reason }
    : { outcome: 'failed', stage: 'refer', status };
}

export interface ReferNotify {
  /** The NOTIFY body's sipfrag status line, when it has one. */
  sipfrag?: SipfragStatus;
  /** `Subscription-State: terminated` (RFC 6665 §4.1.3): no more NOTIFYs will come. */
  terminated: boolean;
}

/**
 * The outcome a NOTIFY decides, or undefined while the transfer is still in progress.
 * A 2xx sipfrag is `completed`; a final 3xx-6xx sipfrag is `failed` at the notify stage (the transferee's
 * call to the target failed); a subscription that ends without a final sipfrag is `timeout` at the notify
 * stage with the last status seen, since nothing more will come (RFC 3515 §2.4.7).
 */
export function referOutcomeForNotify(notify: ReferNotify, lastStatus?: number): ReferOutcome | undefined {
  const frag = notify.sipfrag;
  if (frag && frag.status >= 200 && frag.status < 300) return { outcome: 'completed', status: frag.status };
  if (frag && frag.status >= 300) {
    return frag.reason
      ? { outcome: 'failed', stage: 'notify', status: frag.status, reason: frag.reason }
      : { outcome: 'failed', stage: 'notify', status: frag.status };
  }
  if (notify.terminated) return referTimedOut(true, frag?.status ?? lastStatus);
  return undefined;
}

/**
 * We stopped waiting (no final NOTIFY within the notify timeout, or the leg ended): `timeout` at the
 * refer stage while the REFER itself was unanswered, at the notify stage once it was accepted.
 */
export function referTimedOut(accepted: boolean, lastStatus?: number): ReferOutcome {
  if (!accepted) return { outcome: 'timeout', stage: 'refer' };
  return lastStatus
    ? { outcome: 'timeout', stage: 'notify', lastStatus }
    : { outcome: 'timeout', stage: 'notify' };
}
