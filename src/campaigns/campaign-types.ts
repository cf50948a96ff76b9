/** Campaign records as the API, the CLI and the runner see them (docs/campaigns.md). */

export type CampaignStatus = 'running' | 'paused' | 'cancelled' | 'completed';

/** The outcome classes an attempt ends with; each may have its own retry rule. */
export const RETRY_OUTCOMES = ['busy', 'no-answer', 'machine', 'failed'] as const;
export type RetryOutcome = (typeof RETRY_OUTCOMES)[number];
export type AttemptOutcome = 'answered' | RetryOutcome;

/** A contact's state: `pending` and `dialling` are open; every other one is final. */
export const CONTACT_STATUSES = [
  'pending',
  'dialling',
  'answered',
  'busy',
  'no-answer',
  'machine',
  'failed',
  'dnc',
  'cancelled',
  'expired',
] as const;
export type CampaignContactStatus = (typeof CONTACT_STATUSES)[number];

export interface RetryRule {
  /** Wait before the next attempt, in seconds. */
  delay_s: number;
  /** Most attempts on one contact when the last ended with this outcome (1 = no retry). */
  max_attempts: number;
}

export type RetryPolicy = Partial<Record<RetryOutcome, RetryRule>>;

/** Who is called: the union of a list, a tag and explicit contact ids (at least one). */
export interface CampaignAudience {
  list?: string;
  tag?: string;
  contact_ids?: string[];
}

export interface CampaignRecord {
  id: string;
  name: string;
  agent_id: string;
  status: CampaignStatus;
  audience: CampaignAudience;
  trunk: string | null;
  from_number: string | null;
  variables: Record<string, unknown>;
  start_at: string | null;
  end_by: string | null;
  calls_per_second: number;
  max_concurrent: number;
  ring_timeout_ms: number | null;
  retry: RetryPolicy;
  finished_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface CampaignContactRecord {
  campaign_id: string;
  contact_id: string;
  phone: string;
  timezone: string;
  position: number;
  status: CampaignContactStatus;
  attempts: number;
  /** When the next attempt may start (a retry delay, or calling hours opening); null = now. */
  next_at: string | null;
  reason: string | null;
  updated_at: string;
}

export interface CampaignAttemptRecord {
  id: string;
  campaign_id: string;
  contact_id: string;
  attempt: number;
  status: 'dialling' | 'ended';
  call_id: string | null;
  outcome: AttemptOutcome | null;
  reason: string | null;
  claimed_at: string;
  ended_at: string | null;
  /** The node that claimed and dials it (`cluster.node_id`); null from before nodes were recorded. */
  node_id: string | null;
}

export interface CampaignProgress {
  total: number;
  done: number;
  by_status: Partial<Record<CampaignContactStatus, number>>;
}

export function isFinal(status: CampaignContactStatus): boolean {
  return status !== 'pending' && status !== 'dialling';
}
