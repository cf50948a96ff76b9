import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database.js';
import { newId, nowIso } from '../store/ids.js';
import { constraintError } from '../store/repository.js';
import { notFound } from '../errors.js';
import type {
  AttemptOutcome,
  CampaignAttemptRecord,
  CampaignAudience,
  CampaignContactRecord,
  CampaignContactStatus,
  CampaignProgress,
  CampaignRecord,
  CampaignStatus,
  RetryPolicy,
} from './campaign-types.js';

/** A campaign as created: its record without what the store assigns (id, status, times). */
export type NewCampaign = Omit<CampaignRecord, 'id' | 'status' | 'finished_at' | 'created_at' | 'updated_at'>;

type Raw = Record<string, unknown>;

function campaignOf(row: Raw): CampaignRecord {
  return {
    ...(row as unknown as CampaignRecord),
    audience: JSON.parse(String(row.audience)) as CampaignAudience,
    variables: JSON.parse(String(row.variables)) as Record<string, unknown>,
    retry: JSON.parse(String(row.retry)) as RetryPolicy,
  };
}

const CONTACT_COLUMNS = `cc.*, c.phone AS phone, c.timezone AS timezone`;

/**
 * The campaign tables (migration 008). Every write that moves a contact or an attempt is synchronous
 * and, where it touches both, one transaction: a claimed attempt and its contact's `dialling` state are
 * stored together before anything is dialled.
 */
export class CampaignRepository {
  private readonly s: Record<string, Statement>;

  constructor(private readonly db: Db) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO campaigns (id, name, agent_id, status, audience, trunk, from_number, variables, start_at,
           end_by, calls_per_second, max_concurrent, ring_timeout_ms, retry, created_at, updated_at)
         VALUES (@id, @name, @agent_id, 'running', @audience, @trunk, @from_number, @variables, @start_at,
           @end_by, @calls_per_second, @max_concurrent, @ring_timeout_ms, @retry, @now, @now)`,
      ),
      insertContact: db.prepare(
        `INSERT OR IGNORE INTO campaign_contacts (campaign_id, contact_id, position, status, updated_at)
         VALUES (?, ?, ?, 'pending', ?)`,
      ),
      get: db.prepare('SELECT * FROM campaigns WHERE id = ? OR name = ?'),
      list: db.prepare('SELECT * FROM campaigns ORDER BY created_at DESC, id LIMIT ? OFFSET ?'),
      count: db.prepare('SELECT COUNT(*) AS n FROM campaigns'),
      byStatus: db.prepare('SELECT * FROM campaigns WHERE status = ? ORDER BY created_at, id'),
      setStatus: db.prepare('UPDATE campaigns SET status = ?, finished_at = ?, updated_at = ? WHERE id = ?'),
      progress: db.prepare(
        'SELECT status, COUNT(*) AS n FROM campaign_contacts WHERE campaign_id = ? GROUP BY status',
      ),
      contacts: db.prepare(
        `SELECT ${CONTACT_COLUMNS} FROM campaign_contacts cc JOIN contacts c ON c.id = cc.contact_id
         WHERE cc.campaign_id = ? ORDER BY cc.position LIMIT ? OFFSET ?`,
      ),
      contact: db.prepare(
        `SELECT ${CONTACT_COLUMNS} FROM campaign_contacts cc JOIN contacts c ON c.id = cc.contact_id
         WHERE cc.campaign_id = ? AND cc.contact_id = ?`,
      ),
      due: db.prepare(
        `SELECT ${CONTACT_COLUMNS} FROM campaign_contacts cc JOIN contacts c ON c.id = cc.contact_id
         WHERE cc.campaign_id = ? AND cc.status = 'pending' AND (cc.next_at IS NULL OR cc.next_at <= ?)
           AND NOT EXISTS (SELECT 1 FROM campaign_attempts a
             WHERE a.status = 'dialling' AND a.contact_id = cc.contact_id)
         ORDER BY COALESCE(cc.next_at, ''), cc.position LIMIT 1`,
      ),
      hasOpen: db.prepare(
        `SELECT 1 FROM campaign_contacts WHERE campaign_id = ? AND status IN ('pending','dialling') LIMIT 1`,
      ),
      moveContact: db.prepare(
        `UPDATE campaign_contacts SET status = @status, attempts = @attempts, next_at = @next_at,
           reason = @reason, updated_at = @now WHERE campaign_id = @campaign_id AND contact_id = @contact_id`,
      ),
      closeOpen: db.prepare(
        `UPDATE campaign_contacts SET status = ?, next_at = NULL, reason = ?, updated_at = ?
         WHERE campaign_id = ? AND status = 'pending'`,
      ),
      insertAttempt: db.prepare(
        `INSERT INTO campaign_attempts (id, campaign_id, contact_id, attempt, status, claimed_at)
         VALUES (?, ?, ?, ?, 'dialling', ?)`,
      ),
      deleteAttempt: db.prepare('DELETE FROM campaign_attempts WHERE id = ?'),
      setCall: db.prepare('UPDATE campaign_attempts SET call_id = ? WHERE id = ?'),
      endAttempt: db.prepare(
        `UPDATE campaign_attempts SET status = 'ended', outcome = ?, reason = ?, call_id = COALESCE(call_id, ?),
           ended_at = ? WHERE id = ? AND status = 'dialling'`,
      ),
      attempt: db.prepare('SELECT * FROM campaign_attempts WHERE id = ?'),
      attemptsOf: db.prepare(
        `SELECT * FROM campaign_attempts WHERE campaign_id = ? AND contact_id IN (SELECT value FROM json_each(?))
         ORDER BY contact_id, attempt`,
      ),
      openProgress: db.prepare(
        `SELECT c.name AS campaign, cc.status AS status, COUNT(*) AS n
         FROM campaigns c JOIN campaign_contacts cc ON cc.campaign_id = c.id
         WHERE c.status IN ('running','paused') GROUP BY c.id, cc.status ORDER BY c.name, cc.status`,
      ),
      countByStatus: db.prepare('SELECT status, COUNT(*) AS n FROM campaigns GROUP BY status'),
      open: db.prepare(`SELECT * FROM campaign_attempts WHERE status = 'dialling' ORDER BY claimed_at`),
    };
  }

  /** Stores the campaign and its contacts (in `contactIds` order) in one transaction. */
  create(input: NewCampaign, contactIds: readonly string[]): CampaignRecord {
    const id = newId('cmp');
    const now = nowIso();
    try {
      this.db.transaction(() => {
        this.s.insert!.run({
          ...input,
          id,
          now,
          audience: JSON.stringify(input.audience),
          variables: JSON.stringify(input.variables),
          retry: JSON.stringify(input.retry),
        });
        contactIds.forEach((c, i) => this.s.insertContact!.run(id, c, i, now));
      })();
    } catch (err) {
      constraintError(err, 'campaign');
    }
    return this.require(id);
  }

  get(idOrName: string): CampaignRecord | undefined {
    const row = this.s.get!.get(idOrName, idOrName) as Raw | undefined;
    return row ? campaignOf(row) : undefined;
  }

  require(idOrName: string): CampaignRecord {
    const c = this.get(idOrName);
    if (!c) throw notFound('campaign', idOrName);
    return c;
  }

  list(limit: number, offset: number): { items: CampaignRecord[]; total: number } {
    const items = (this.s.list!.all(limit, offset) as Raw[]).map(campaignOf);
    return { items, total: (this.s.count!.get() as { n: number }).n };
  }

  withStatus(status: CampaignStatus): CampaignRecord[] {
    return (this.s.byStatus!.all(status) as Raw[]).map(campaignOf);
  }

  setStatus(id: string, status: CampaignStatus): void {
    const now = nowIso();
    const finished = status === 'cancelled' || status === 'completed' ? now : null;
    this.s.setStatus!.run(status, finished, now, id);
  }

  /** Cancels or expires every contact still pending (in-flight attempts finish on their own). */
  closePending(id: string, status: 'cancelled' | 'expired', reason: string): number {
    return this.s.closeOpen!.run(status, reason, nowIso(), id).changes;
  }

  progress(id: string): CampaignProgress {
    const rows = this.s.progress!.all(id) as Array<{ status: CampaignContactStatus; n: number }>;
    const by_status: CampaignProgress['by_status'] = {};
    let total = 0;
    let done = 0;
    for (const r of rows) {
      by_status[r.status] = r.n;
      total += r.n;
      if (r.status !== 'pending' && r.status !== 'dialling') done += r.n;
    }
    return { total, done, by_status };
  }

  /** Contacts by status of every campaign not finished (running or paused), for the metrics. */
  openProgress(): Array<{ campaign: string; status: CampaignContactStatus; n: number }> {
    return this.s.openProgress!.all() as Array<{
      campaign: string;
      status: CampaignContactStatus;
      n: number;
    }>;
  }

  /** How many campaigns are in each status. */
  countByStatus(): Partial<Record<CampaignStatus, number>> {
    const out: Partial<Record<CampaignStatus, number>> = {};
    for (const r of this.s.countByStatus!.all() as Array<{ status: CampaignStatus; n: number }>)
      out[r.status] = r.n;
    return out;
  }

  contacts(id: string, limit: number, offset: number): CampaignContactRecord[] {
    return this.s.contacts!.all(id, limit, offset) as CampaignContactRecord[];
  }

  contact(campaignId: string, contactId: string): CampaignContactRecord | undefined {
    return this.s.contact!.get(campaignId, contactId) as CampaignContactRecord | undefined;
  }

  /** The attempts on these contacts of the campaign, in order. */
  attempts(campaignId: string, contactIds: readonly string[]): CampaignAttemptRecord[] {
    return this.s.attemptsOf!.all(campaignId, JSON.stringify(contactIds)) as CampaignAttemptRecord[];
  }

  attempt(id: string): CampaignAttemptRecord | undefined {
    return this.s.attempt!.get(id) as CampaignAttemptRecord | undefined;
  }

  /** Attempts claimed and not yet ended (after a crash: those to resolve before anything else). */
  openAttempts(): CampaignAttemptRecord[] {
    return this.s.open!.all() as CampaignAttemptRecord[];
  }

  /**
   * The next pending contact whose time has come (`next_at` passed or unset), in list order, leaving
   * out a contact another campaign is dialling now: one person never gets two of our calls at once.
   */
  nextDue(campaignId: string, now: string): CampaignContactRecord | undefined {
    return this.s.due!.get(campaignId, now) as CampaignContactRecord | undefined;
  }

  /** True while a contact is pending or being dialled (cheap: the due index). */
  hasOpen(campaignId: string): boolean {
    return this.s.hasOpen!.get(campaignId) !== undefined;
  }

  /** Moves a contact that is not being dialled (deferred, skipped, closed). */
  moveContact(
    c: Pick<CampaignContactRecord, 'campaign_id' | 'contact_id' | 'attempts'>,
    status: CampaignContactStatus,
    nextAt: string | null,
    reason: string | null,
  ): void {
    this.s.moveContact!.run({
      campaign_id: c.campaign_id,
      contact_id: c.contact_id,
      attempts: c.attempts,
      status,
      next_at: nextAt,
      reason,
      now: nowIso(),
    });
  }

  /**
   * Claims the contact's next attempt: the attempt row (status `dialling`) and the contact's
   * `dialling` state in one transaction, before anything is dialled. Returns the attempt.
   */
  claim(c: CampaignContactRecord): CampaignAttemptRecord {
    const id = newId('cat');
    const now = nowIso();
    const attempt = c.attempts + 1;
    this.db.transaction(() => {
      this.s.insertAttempt!.run(id, c.campaign_id, c.contact_id, attempt, now);
      this.s.moveContact!.run({
        campaign_id: c.campaign_id,
        contact_id: c.contact_id,
        attempts: attempt,
        status: 'dialling',
        next_at: null,
        reason: null,
        now,
      });
    })();
    return this.attempt(id)!;
  }

  /** A claim nothing was dialled for (admission refused it): gone, and the contact waits until `nextAt`. */
  release(a: CampaignAttemptRecord, nextAt: string, reason: string): void {
    this.db.transaction(() => {
      this.s.deleteAttempt!.run(a.id);
      this.moveContact({ ...a, attempts: a.attempt - 1 }, 'pending', nextAt, reason);
    })();
  }

  setCall(attemptId: string, callId: string): void {
    this.s.setCall!.run(callId, attemptId);
  }

  /**
   * Ends an attempt and moves its contact in one transaction: to `pending` at `retryAt` when the retry
   * policy allows another attempt, else to its final status. False when the attempt was already ended.
   */
  finish(
    a: CampaignAttemptRecord,
    result: { outcome: AttemptOutcome; reason: string; callId: string | null },
    next: { status: CampaignContactStatus; retryAt: string | null },
    endedAt: string = nowIso(),
  ): boolean {
    return this.db.transaction(() => {
      const changed = this.s.endAttempt!.run(
        result.outcome,
        result.reason,
        result.callId,
        endedAt,
        a.id,
      ).changes;
      if (!changed) return false;
      this.moveContact(
        { ...a, attempts: a.attempt },
        next.status,
        next.retryAt,
        next.status === 'pending' ? `retry after ${result.outcome}` : result.reason,
      );
      return true;
    })();
  }
}
