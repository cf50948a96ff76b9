import type { AdmissionOutlook } from '../calls/admission.js';
import type { CampaignRecord } from './campaign-types.js';

/**
 * Margin on the per-second window: a call's INVITE leaves a little after its start (the before
 * stage, the event loop), and that jitter must not push the count a callee sees in a second over the
 * limit. The window is counted as one second plus this.
 */
export const RATE_GUARD_MS = 100;

/**
 * Whether one more call may start now under `ratePerS`: at most ⌊rate⌋ (at least one) starts in any
 * window of one second plus RATE_GUARD_MS, each at least 1/rate after the one before. Stricter than
 * admission's token bucket (which holds a second's worth, so a full bucket plus its refill lets up
 * to twice the rate into one second): a call started under this rule always finds a token.
 */
export function paceAllows(starts: readonly number[], ratePerS: number, nowMs: number): boolean {
  const recent = starts.filter((t) => t > nowMs - 1000 - RATE_GUARD_MS);
  const last = recent[recent.length - 1];
  return (
    recent.length < Math.max(1, Math.floor(ratePerS)) &&
    (last === undefined || nowMs - last >= 1000 / ratePerS)
  );
}

/** What held a due contact back, when something did. */
export type SlotHold =
  'campaign-concurrency' | 'campaign-rate' | 'trunk-concurrency' | 'trunk-rate' | 'server';

/**
 * Whether a campaign may start another call now: its own limits (`max_concurrent` of its calls,
 * `calls_per_second` of its starts) and then everything admission would check for the call (the
 * trunk's `max_concurrent_calls` and `max_calls_per_second`, the server's totals, overload, drain),
 * read from the admission state that every call on the trunk shares, paced with the same rule.
 */
export class StartPacing {
  /** Recent starts by campaign (ms), for its own rate. */
  private readonly starts = new Map<string, number[]>();

  constructor(
    private readonly admission?: {
      outlook: (r: { direction: 'outbound'; trunk?: string }) => AdmissionOutlook;
    },
  ) {}

  /** The campaign's own limits; undefined when they allow a start. */
  campaignHold(c: CampaignRecord, inFlight: number, nowMs: number): SlotHold | undefined {
    if (inFlight >= c.max_concurrent) return 'campaign-concurrency';
    const starts = (this.starts.get(c.id) ?? []).filter((t) => t > nowMs - 1000 - RATE_GUARD_MS);
    this.starts.set(c.id, starts);
    return paceAllows(starts, c.calls_per_second, nowMs) ? undefined : 'campaign-rate';
  }

  /** Admission's limits on the call's way (the trunk's and the totals); undefined when it would pass them. */
  admissionHold(trunk: string | undefined): SlotHold | undefined {
    if (!this.admission) return undefined;
    const o = this.admission.outlook({ direction: 'outbound', ...(trunk ? { trunk } : {}) });
    const trunkLimit = (limit: string): boolean => limit.startsWith('sip.trunks[');
    if (o.refusal) {
      if (o.refusal.reason === 'concurrency')
        return trunkLimit(o.refusal.limit) ? 'trunk-concurrency' : 'server';
      return o.refusal.reason === 'rate' && trunkLimit(o.refusal.limit) ? 'trunk-rate' : 'server';
    }
    for (const r of o.rates) {
      if (!paceAllows(r.admittedAt, r.ratePerS, o.now)) return trunkLimit(r.limit) ? 'trunk-rate' : 'server';
    }
    return undefined;
  }

  started(campaignId: string, nowMs: number): void {
    const starts = this.starts.get(campaignId) ?? [];
    starts.push(nowMs);
    this.starts.set(campaignId, starts);
  }

  /** Forgets a campaign that no longer runs. */
  forget(campaignId: string): void {
    this.starts.delete(campaignId);
  }
}
