import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/store.js';
import type { CampaignHooks } from '../observability/metrics-hooks.js';
import { afterAttempt, attemptOutcomeOf } from './attempt-outcome.js';
import type { CampaignRepository } from './campaign-repository.js';
import type { AttemptOutcome, CampaignAttemptRecord, CampaignContactStatus } from './campaign-types.js';

/** How an attempt ended, as its contact's next step is decided from it. */
export interface AttemptResult {
  outcome: AttemptOutcome;
  reason: string;
  callId: string | null;
  /** No retry whatever the policy says (a voicemail was left). */
  final?: true;
}

export interface AttemptRecoveryDeps {
  store: Store;
  repo: CampaignRepository;
  hooks?: CampaignHooks;
  logger: Logger;
  now: () => Date;
}

/**
 * Ends campaign attempts and resolves those a stopped node left in flight. Every end is the conditional
 * `finish` (only an attempt still `dialling` moves), so an attempt ends once however many nodes try:
 * its own node when the call ends, the node itself when it restarts, or the survivors of a dead node.
 */
export class AttemptRecovery {
  constructor(private readonly deps: AttemptRecoveryDeps) {}

  /**
   * Ends an attempt and moves its contact as the retry policy says (or to `forced`). The retry delay
   * counts from the moment stored as the attempt's end. False when it had already ended.
   */
  async end(a: CampaignAttemptRecord, result: AttemptResult, forced?: 'dnc'): Promise<boolean> {
    const c = await this.deps.repo.get(a.campaign_id);
    if (!c) return false;
    const now = this.deps.now();
    const next: { status: CampaignContactStatus; retryAt: string | null } = forced
      ? { status: forced, retryAt: null }
      : c.status === 'cancelled' || result.final
        ? { status: result.outcome, retryAt: null }
        : afterAttempt(c.retry, result.outcome, a.attempt, now);
    const ended = await this.deps.repo.finish(a, result, next, now.toISOString());
    if (ended) this.deps.hooks?.attemptFinished(result.outcome);
    return ended;
  }

  /**
   * At start, before this node claims anything: the attempts a previous process of this node (or one
   * from before nodes were recorded) left claimed. The call row tells how it went when it exists and has
   * ended; otherwise the attempt counts as `failed` (unknown). Other nodes' attempts are left alone.
   */
  async recoverOwn(nodeId: string | null): Promise<number> {
    let resolved = 0;
    for (const a of await this.deps.repo.openAttempts(nodeId)) {
      const result = await this.resultOf(a);
      if (!(await this.end(a, result))) continue;
      resolved++;
      this.deps.logger.info(
        { attemptId: a.id, outcome: result.outcome },
        'attempt left open by a stop resolved',
      );
    }
    return resolved;
  }

  /**
   * The attempts of a node that died (its lease ran out), resolved by a survivor after the dead node's
   * calls were closed. An attempt whose call is still open is left for the next look (its call closes
   * first); two survivors looking at once end each attempt once. Returns how many this node ended.
   */
  async resolveNode(nodeId: string): Promise<number> {
    let resolved = 0;
    for (const a of await this.deps.repo.openAttemptsOf(nodeId)) {
      const result = await this.resultOf(a, true);
      if (result === 'open') continue;
      if (!(await this.end(a, result))) continue;
      resolved++;
      this.deps.logger.info(
        { attemptId: a.id, node: nodeId, outcome: result.outcome },
        'attempt of a dead node resolved',
      );
    }
    return resolved;
  }

  private resultOf(a: CampaignAttemptRecord): Promise<AttemptResult>;
  private resultOf(a: CampaignAttemptRecord, leaveOpen: true): Promise<AttemptResult | 'open'>;
  private async resultOf(a: CampaignAttemptRecord, leaveOpen = false): Promise<AttemptResult | 'open'> {
    const callId = a.call_id ?? (await this.callOfAttempt(a.id));
    const row = callId ? await this.deps.store.calls.get(callId) : undefined;
    if (row?.ended_at != null) return { ...attemptOutcomeOf(row), callId: row.id };
    if (row && leaveOpen) return 'open';
    return {
      outcome: 'failed',
      reason: 'unknown: the server stopped during the attempt',
      callId: row?.id ?? null,
    };
  }

  /** The call placed for an attempt whose id was not stored yet (the call's `campaign.attempt_id` variable). */
  private async callOfAttempt(attemptId: string): Promise<string | undefined> {
    const sql = this.deps.store.sql;
    const path =
      sql.dialect === 'postgres'
        ? `(variables::jsonb -> 'campaign' ->> 'attempt_id')`
        : `json_extract(variables, '$.campaign.attempt_id')`;
    return (await sql.get<{ id: string }>(`SELECT id FROM calls WHERE ${path} = ?`, [attemptId]))?.id;
  }
}
