import type { CallsSettings } from '../calls/calls-config.js';
import { withinCallingHours } from '../calls/calling-hours.js';
import type { CallRecord } from '../store/store.js';
import type { AttemptOutcome, CampaignContactStatus, RetryPolicy } from './campaign-types.js';

const MACHINE_AMD = new Set(['machine', 'machine-ready', 'fax']);
const MACHINE_END = new Set(['machine', 'fax']);

/**
 * What an ended call means for its campaign attempt (the `calls` row's outcome, AMD decision, end
 * reason). `final`: no retry whatever the policy says — a voicemail was left, and another attempt
 * would leave the same person a second one.
 */
export function attemptOutcomeOf(call: CallRecord): {
  outcome: AttemptOutcome;
  reason: string;
  final?: true;
} {
  const amd = typeof call.amd?.outcome === 'string' ? call.amd.outcome : undefined;
  const reason = `call ${call.outcome ?? 'unknown'}${call.end_reason ? ` (${call.end_reason})` : ''}`;
  if (call.end_reason === 'voicemail-left') return { outcome: 'machine', reason, final: true };
  if ((amd && MACHINE_AMD.has(amd)) || MACHINE_END.has(call.end_reason ?? ''))
    return { outcome: 'machine', reason };
  switch (call.outcome) {
    case 'completed':
    case 'transferred':
      return { outcome: 'answered', reason };
    case 'busy':
      return { outcome: 'busy', reason };
    case 'no-answer':
    case 'timeout':
      return { outcome: 'no-answer', reason };
    default:
      return { outcome: 'failed', reason };
  }
}

/**
 * After an attempt: another one at `retryAt` when the policy's rule for this outcome allows more
 * attempts (its `max_attempts` counts them all, the first included), else the outcome is final.
 */
export function afterAttempt(
  policy: RetryPolicy,
  outcome: AttemptOutcome,
  attempt: number,
  now: Date,
): { status: CampaignContactStatus; retryAt: string | null } {
  if (outcome === 'answered') return { status: 'answered', retryAt: null };
  const rule = policy[outcome];
  if (!rule || attempt >= rule.max_attempts) return { status: outcome, retryAt: null };
  return { status: 'pending', retryAt: new Date(now.getTime() + rule.delay_s * 1000).toISOString() };
}

const MAX_STEP_MIN = 15;
const HORIZON_MS = 8 * 24 * 3600_000;

function clockMinutes(clock: string): number {
  const [h, m] = clock.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/**
 * The search step, minutes: 15, or less when the window (or either part of one that spans midnight)
 * is shorter, so a step can never jump over a whole open stretch.
 */
function searchStepMinutes(hours: CallsSettings['calling_hours']): number {
  const start = clockMinutes(hours.start);
  const end = clockMinutes(hours.end);
  const parts = start <= end ? [end - start] : [1440 - start, end].filter((m) => m > 0);
  return Math.max(1, Math.min(MAX_STEP_MIN, ...parts));
}

/**
 * The first instant at or after `now` inside calling hours in `tz` (to the minute), or null when the
 * hours never open (no days). Steps by up to 15 minutes, then back minute by minute to the opening.
 */
export function nextCallingHoursOpening(
  now: Date,
  tz: string,
  hours: CallsSettings['calling_hours'],
): Date | null {
  const step = searchStepMinutes(hours) * 60_000;
  const start = Math.ceil(now.getTime() / 60_000) * 60_000;
  for (let t = start; t <= start + HORIZON_MS; t += step) {
    if (!withinCallingHours(new Date(t), tz, hours)) continue;
    let first = t;
    while (first - 60_000 >= start && withinCallingHours(new Date(first - 60_000), tz, hours))
      first -= 60_000;
    return new Date(first);
  }
  return null;
}
