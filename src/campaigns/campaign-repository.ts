import type { SqlDatabase } from '../store/sql/sql-database.js';
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

const SQL = {
  insert: `INSERT INTO campaigns (id, name, agent_id, status, audience, trunk, from_number, variables, start_at,
       end_by, calls_per_second, max_concurrent, ring_timeout_ms, retry, created_at, updated_at)
     VALUES (@id, @name, @agent_id, 'running', @audience, @trunk, @from_number, @variables, @start_at,
       @end_by, @calls_per_second, @max_concurrent, @ring_timeout_ms, @retry, @now, @now)`,
  insertContact: `INSERT OR IGNORE INTO campaign_contacts (campaign_id, contact_id, position, status, updated_at)
     VALUES (?, ?, ?, 'pending', ?)`,
  get: 'SELECT * FROM campaigns WHERE id = ? OR name = ?',
  list: 'SELECT * FROM campaigns ORDER BY created_at DESC, id LIMIT ? OFFSET ?',
  count: 'SELECT COUNT(*) AS n FROM campaigns',
  byStatus: 'SELECT * FROM campaigns WHERE status = ? ORDER BY created_at, id',
  setStatus: 'UPDATE campaigns SET status = ?, finished_at = ?, updated_at = ? WHERE id = ?',
  progress: 'SELECT status, COUNT(*) AS n FROM campaign_contacts WHERE campaign_id = ? GROUP BY status',
  contacts: `SELECT ${CONTACT_COLUMNS} FROM campaign_contacts cc JOIN contacts c ON c.id = cc.contact_id
     WHERE cc.campaign_id = ? ORDER BY cc.position LIMIT ? OFFSET ?`,
  contact: `SELECT ${CONTACT_COLUMNS} FROM campaign_contacts cc JOIN contacts c ON c.id = cc.contact_id
     WHERE cc.campaign_id = ? AND cc.contact_id = ?`,
  due: `SELECT ${CONTACT_COLUMNS} FROM campaign_contacts cc JOIN contacts c ON c.id = cc.contact_id
     WHERE cc.campaign_id = ? AND cc.status = 'pending' AND (cc.next_at IS NULL OR cc.next_at <= ?)
       AND NOT EXISTS (SELECT 1 FROM campaign_attempts a
         WHERE a.status = 'dialling' AND a.contact_id = cc.contact_id)
     ORDER BY COALESCE(cc.next_at, ''), cc.position LIMIT 1`,
  hasOpen: `SELECT 1 AS open FROM campaign_contacts WHERE campaign_id = ? AND status IN ('pending','dialling') LIMIT 1`,
  moveContact: `UPDATE campaign_contacts SET status = @status, attempts = @attempts, next_at = @next_at,
       reason = @reason, updated_at = @now WHERE campaign_id = @campaign_id AND contact_id = @contact_id`,
  movePending: `UPDATE campaign_contacts SET status = @status, attempts = @attempts, next_at = @next_at,
       reason = @reason, updated_at = @now
     WHERE campaign_id = @campaign_id AND contact_id = @contact_id AND status = 'pending'`,
  /** The claim's guard: only a contact still pending moves to dialling (another node may have taken it). */
  claimContact: `UPDATE campaign_contacts SET status = 'dialling', attempts = @attempts, next_at = NULL,
       reason = NULL, updated_at = @now
     WHERE campaign_id = @campaign_id AND contact_id = @contact_id AND status = 'pending'`,
  closeOpen: `UPDATE campaign_contacts SET status = ?, next_at = NULL, reason = ?, updated_at = ?
     WHERE campaign_id = ? AND status = 'pending'`,
  /**
   * The claim's other guard: at most one attempt in flight per contact (unique index, migration 013), so
   * two nodes claiming one person for two campaigns at once insert one row between them.
   */
  insertAttempt: `INSERT INTO campaign_attempts (id, campaign_id, contact_id, attempt, status, claimed_at, node_id)
     VALUES (?, ?, ?, ?, 'dialling', ?, ?) ON CONFLICT DO NOTHING`,
  deleteAttempt: 'DELETE FROM campaign_attempts WHERE id = ?',
  setCall: 'UPDATE campaign_attempts SET call_id = ? WHERE id = ?',
  endAttempt: `UPDATE campaign_attempts SET status = 'ended', outcome = ?, reason = ?, call_id = COALESCE(call_id, ?),
       ended_at = ? WHERE id = ? AND status = 'dialling'`,
  attempt: 'SELECT * FROM campaign_attempts WHERE id = ?',
  openProgress: `SELECT c.name AS campaign, cc.status AS status, COUNT(*) AS n
     FROM campaigns c JOIN campaign_contacts cc ON cc.campaign_id = c.id
     WHERE c.status IN ('running','paused') GROUP BY c.id, c.name, cc.status ORDER BY c.name, cc.status`,
  countByStatus: 'SELECT status, COUNT(*) AS n FROM campaigns GROUP BY status',
  openOwn: `SELECT * FROM campaign_attempts WHERE status = 'dialling' AND (node_id = ? OR node_id IS NULL)
     ORDER BY claimed_at`,
  openUnowned: `SELECT * FROM campaign_attempts WHERE status = 'dialling' AND node_id IS NULL ORDER BY claimed_at`,
  openOf: `SELECT * FROM campaign_attempts WHERE status = 'dialling' AND node_id = ? ORDER BY claimed_at`,
} as const;

/** Contact ids per `attempts` query: bound as parameters, well under both engines' limits. */
const ATTEMPTS_BATCH = 500;

/**
 * The campaign tables (migration 008), on either store engine. Every write that moves a contact and an
 * attempt together is one transaction: a claimed attempt and its contact's `dialling` state are stored
 * together before anything is dialled, and a claim only takes a contact still pending, so two server
 * processes sharing the database never dial the same contact twice.
 */
export class CampaignRepository {
  constructor(private readonly sql: SqlDatabase) {}

  /** Stores the campaign and its contacts (in `contactIds` order) in one transaction. */
  async create(input: NewCampaign, contactIds: readonly string[]): Promise<CampaignRecord> {
    const id = newId('cmp');
    const now = nowIso();
    try {
      await this.sql.transaction(async () => {
        await this.sql.run(SQL.insert, {
          ...input,
          id,
          now,
          audience: JSON.stringify(input.audience),
          variables: JSON.stringify(input.variables),
          retry: JSON.stringify(input.retry),
        });
        for (const [i, c] of contactIds.entries()) await this.sql.run(SQL.insertContact, [id, c, i, now]);
      });
    } catch (err) {
      constraintError(err, 'campaign');
    }
    return this.require(id);
  }

  async get(idOrName: string): Promise<CampaignRecord | undefined> {
    const row = await this.sql.get<Raw>(SQL.get, [idOrName, idOrName]);
    return row ? campaignOf(row) : undefined;
  }

  async require(idOrName: string): Promise<CampaignRecord> {
    const c = await this.get(idOrName);
    if (!c) throw notFound('campaign', idOrName);
    return c;
  }

  async list(limit: number, offset: number): Promise<{ items: CampaignRecord[]; total: number }> {
    const items = (await this.sql.all<Raw>(SQL.list, [limit, offset])).map(campaignOf);
    const count = await this.sql.get<{ n: number }>(SQL.count);
    return { items, total: Number(count?.n ?? 0) };
  }

  async withStatus(status: CampaignStatus): Promise<CampaignRecord[]> {
    return (await this.sql.all<Raw>(SQL.byStatus, [status])).map(campaignOf);
  }

  async setStatus(id: string, status: CampaignStatus): Promise<void> {
    const now = nowIso();
    const finished = status === 'cancelled' || status === 'completed' ? now : null;
    await this.sql.run(SQL.setStatus, [status, finished, now, id]);
  }

  /** Cancels or expires every contact still pending (in-flight attempts finish on their own). */
  async closePending(id: string, status: 'cancelled' | 'expired', reason: string): Promise<number> {
    return (await this.sql.run(SQL.closeOpen, [status, reason, nowIso(), id])).changes;
  }

  async progress(id: string): Promise<CampaignProgress> {
    const rows = await this.sql.all<{ status: CampaignContactStatus; n: number }>(SQL.progress, [id]);
    const by_status: CampaignProgress['by_status'] = {};
    let total = 0;
    let done = 0;
    for (const r of rows) {
      const n = Number(r.n);
      by_status[r.status] = n;
      total += n;
      if (r.status !== 'pending' && r.status !== 'dialling') done += n;
    }
    return { total, done, by_status };
  }

  /** Contacts by status of every campaign not finished (running or paused), for the metrics. */
  async openProgress(): Promise<Array<{ campaign: string; status: CampaignContactStatus; n: number }>> {
    const rows = await this.sql.all<{ campaign: string; status: CampaignContactStatus; n: number }>(
      SQL.openProgress,
    );
    return rows.map((r) => ({ ...r, n: Number(r.n) }));
  }

  /** How many campaigns are in each status. */
  async countByStatus(): Promise<Partial<Record<CampaignStatus, number>>> {
    const out: Partial<Record<CampaignStatus, number>> = {};
    for (const r of await this.sql.all<{ status: CampaignStatus; n: number }>(SQL.countByStatus))
      out[r.status] = Number(r.n);
    return out;
  }

  contacts(id: string, limit: number, offset: number): Promise<CampaignContactRecord[]> {
    return this.sql.all<CampaignContactRecord>(SQL.contacts, [id, limit, offset]);
  }

  contact(campaignId: string, contactId: string): Promise<CampaignContactRecord | undefined> {
    return this.sql.get<CampaignContactRecord>(SQL.contact, [campaignId, contactId]);
  }

  /** The attempts on these contacts of the campaign, in order. */
  async attempts(campaignId: string, contactIds: readonly string[]): Promise<CampaignAttemptRecord[]> {
    const out: CampaignAttemptRecord[] = [];
    for (let at = 0; at < contactIds.length; at += ATTEMPTS_BATCH) {
      const batch = contactIds.slice(at, at + ATTEMPTS_BATCH);
      out.push(
        ...(await this.sql.all<CampaignAttemptRecord>(
          `SELECT * FROM campaign_attempts WHERE campaign_id = ? AND contact_id IN (${batch.map(() => '?').join(', ')})`,
          [campaignId, ...batch],
        )),
      );
    }
    return out.sort(
      (a, b) =>
        (a.contact_id < b.contact_id ? -1 : a.contact_id > b.contact_id ? 1 : 0) || a.attempt - b.attempt,
    );
  }

  attempt(id: string): Promise<CampaignAttemptRecord | undefined> {
    return this.sql.get<CampaignAttemptRecord>(SQL.attempt, [id]);
  }

  /**
   * Attempts claimed and not yet ended by this node (`nodeId`) or by no recorded node: after a crash,
   * those this node resolves before anything else. Other nodes' attempts are theirs while they live.
   */
  openAttempts(nodeId: string | null): Promise<CampaignAttemptRecord[]> {
    return nodeId === null
      ? this.sql.all<CampaignAttemptRecord>(SQL.openUnowned)
      : this.sql.all<CampaignAttemptRecord>(SQL.openOwn, [nodeId]);
  }

  /** Attempts a node claimed and has not ended (a dead node's: resolved by a survivor). */
  openAttemptsOf(nodeId: string): Promise<CampaignAttemptRecord[]> {
    return this.sql.all<CampaignAttemptRecord>(SQL.openOf, [nodeId]);
  }

  /**
   * The next pending contact whose time has come (`next_at` passed or unset), in list order, leaving
   * out a contact another campaign is dialling now: one person never gets two of our calls at once.
   */
  nextDue(campaignId: string, now: string): Promise<CampaignContactRecord | undefined> {
    return this.sql.get<CampaignContactRecord>(SQL.due, [campaignId, now]);
  }

  /** True while a contact is pending or being dialled (cheap: the due index). */
  async hasOpen(campaignId: string): Promise<boolean> {
    return (await this.sql.get(SQL.hasOpen, [campaignId])) !== undefined;
  }

  /** Moves a contact that is not being dialled (deferred, skipped, closed). */
  async moveContact(
    c: Pick<CampaignContactRecord, 'campaign_id' | 'contact_id' | 'attempts'>,
    status: CampaignContactStatus,
    nextAt: string | null,
    reason: string | null,
  ): Promise<void> {
    await this.sql.run(SQL.moveContact, {
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
   * Moves a contact found pending (DNC, calling hours) unless another server process claimed it since it
   * was read: its attempt decides then. False when it was no longer pending.
   */
  async movePending(
    c: Pick<CampaignContactRecord, 'campaign_id' | 'contact_id' | 'attempts'>,
    status: CampaignContactStatus,
    nextAt: string | null,
    reason: string | null,
  ): Promise<boolean> {
    const moved = await this.sql.run(SQL.movePending, {
      campaign_id: c.campaign_id,
      contact_id: c.contact_id,
      attempts: c.attempts,
      status,
      next_at: nextAt,
      reason,
      now: nowIso(),
    });
    return moved.changes > 0;
  }

  /**
   * Claims the contact's next attempt for node `nodeId`: the attempt row (status `dialling`) and the
   * contact's `dialling` state in one transaction, before anything is dialled. Undefined when the person
   * already has an attempt in flight (in any campaign, from any node) or the contact is no longer
   * pending (another node sharing the database claimed it first): both are guarded writes, not reads.
   */
  async claim(
    c: CampaignContactRecord,
    nodeId: string | null = null,
  ): Promise<CampaignAttemptRecord | undefined> {
    const id = newId('cat');
    const now = nowIso();
    const attempt = c.attempts + 1;
    const claimed = await this.sql.transaction(async () => {
      const inserted = await this.sql.run(SQL.insertAttempt, [
        id,
        c.campaign_id,
        c.contact_id,
        attempt,
        now,
        nodeId,
      ]);
      if (inserted.changes === 0) return false;
      const moved = await this.sql.run(SQL.claimContact, {
        campaign_id: c.campaign_id,
        contact_id: c.contact_id,
        attempts: attempt,
        now,
      });
      if (moved.changes > 0) return true;
      await this.sql.run(SQL.deleteAttempt, [id]);
      return false;
    });
    return claimed ? this.attempt(id) : undefined;
  }

  /** A claim nothing was dialled for (admission refused it): gone, and the contact waits until `nextAt`. */
  async release(a: CampaignAttemptRecord, nextAt: string, reason: string): Promise<void> {
    await this.sql.transaction(async () => {
      await this.sql.run(SQL.deleteAttempt, [a.id]);
      await this.moveContact({ ...a, attempts: a.attempt - 1 }, 'pending', nextAt, reason);
    });
  }

  async setCall(attemptId: string, callId: string): Promise<void> {
    await this.sql.run(SQL.setCall, [callId, attemptId]);
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
  ): Promise<boolean> {
    return this.sql.transaction(async () => {
      const changed = (
        await this.sql.run(SQL.endAttempt, [result.outcome, result.reason, result.callId, endedAt, a.id])
      ).changes;
      if (!changed) return false;
      await this.moveContact(
        { ...a, attempts: a.attempt },
        next.status,
        next.retryAt,
        next.status === 'pending' ? `retry after ${result.outcome}` : result.reason,
      );
      return true;
    });
  }
}
