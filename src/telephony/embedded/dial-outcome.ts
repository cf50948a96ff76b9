import type { DialOutcome } from '../port.js';

/**
 * What a final non-2xx answer to our INVITE means for the call layer. `cancelledBy` says why we sent a
 * CANCEL, if we did: its 487 is then our own doing, not a rejection.
 */
export function outcomeForFailure(
  status: number,
  reason: string,
  cancelledBy?: 'ring-timeout' | 'abort',
): Exclude<DialOutcome, { outcome: 'answered' }> {
  if (status === 487 && cancelledBy === 'ring-timeout') return { outcome: 'no-answer', status };
  if (status === 487 && cancelledBy === 'abort') return { outcome: 'cancelled' };
  if (status === 486 || status === 600) return { outcome: 'busy', status };
  if (status === 408 || status === 480) return { outcome: 'no-answer', status };
  return { outcome: 'rejected', status, ...(reason ? { reason } : {}) };
}
