/**
 * How a call we place ends, from the INVITE's final response: one rule for both backends, so a call
 * layer sees the same DialOutcome whichever backend carried the call.
 */
import type { DialOutcome } from '../port.js';

/** Why we sent a CANCEL (RFC 3261 §9.1), if we did: its 487 is then our own doing, not the callee's. */
export type DialCancelReason = 'ring-timeout' | 'abort';

/** Every outcome but `answered` (which needs the leg the backend builds). */
export type DialFailure = Exclude<DialOutcome, { outcome: 'answered' }>;

export interface InviteFinal {
  /** Final status; undefined when none came (Timer B / the transaction timed out, RFC 3261 §17.1.1.2). */
  status?: number;
  reason?: string;
  /** Whether any provisional response (1xx) arrived before the final one. */
  provisional: boolean;
  cancelledBy?: DialCancelReason;
}

/**
 * The outcome of an INVITE we sent:
 *
 * | final response | without our CANCEL | after our ring-timeout CANCEL | after our abort CANCEL |
 * | --- | --- | --- | --- |
 * | 2xx | answered | no-answer (the answer crossed the CANCEL: ACK + BYE) | cancelled (same) |
 * | none (Timer B) or 408 before any 1xx | timeout | no-answer | cancelled |
 * | 487 Request Terminated | rejected(487) | no-answer(487) | cancelled |
 * | 486, 600 | busy(status) | busy(status) | busy(status) |
 * | 480, or 408 after a 1xx | no-answer(status) | no-answer(status) | no-answer(status) |
 * | any other 3xx-6xx | rejected(status, reason) | rejected(status, reason) | rejected(status, reason) |
 *
 * Our CANCEL only explains the endings the callee did not choose (an answer that crossed it, its 487,
 * silence); a busy or a decline that came first is still the callee's answer.
 * RFC 3261 §8.1.3.1 hands a transaction timeout to the core as a 408, and drachtio-server does exactly
 * that; a 408 before anything rang is therefore the request timing out (ours or the next hop's Timer B,
 * §17.1.1.2), which the embedded stack sees as a transaction timeout: both are `timeout`. 486 Busy Here
 * and 600 Busy Everywhere are busy (§21.4.24, §21.6.1); 480 Temporarily Unavailable and a 408 after
 * ringing mean nobody picked up (§21.4.18, §21.4.9).
 */
export function dialOutcome(final: InviteFinal): { outcome: 'answered' } | DialFailure {
  const { status, reason, provisional, cancelledBy } = final;
  const timedOut = status === undefined || (status === 408 && !provisional);
  if (timedOut || (status >= 200 && status < 300) || status === 487) {
    if (cancelledBy === 'abort') return { outcome: 'cancelled' };
    if (cancelledBy === 'ring-timeout')
      return status === 487 ? { outcome: 'no-answer', status } : { outcome: 'no-answer' };
    if (timedOut) return { outcome: 'timeout' };
    if (status === 487) return rejected(status, reason);
    return { outcome: 'answered' };
  }
  if (status === 486 || status === 600) return { outcome: 'busy', status };
  if (status === 408 || status === 480) return { outcome: 'no-answer', status };
  return rejected(status, reason);
}

function rejected(status: number, reason: string | undefined): DialFailure {
  return reason ? { outcome: 'rejected', status, reason } : { outcome: 'rejected', status };
}

/**
 * `dialOutcome` for an ending that cannot be a usable answer (a failure status, no final response, or a
 * 2xx that crossed our CANCEL). Asking it about a plain 2xx is a programming error.
 */
export function dialFailure(final: InviteFinal): DialFailure {
  const outcome = dialOutcome(final);
  if (outcome.outcome === 'answered')
    throw new Error(`dialFailure: a ${final.status} without our CANCEL is an answer, not a failure`);
  return outcome;
}
