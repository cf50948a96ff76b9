import type { SqlDatabase } from '../store/sql/sql-database.js';
import { filteredPage, type FilteredTable } from '../store/filtered-page.js';
import type { Page } from '../store/repository.js';
import { notFound, CallwrightError } from '../errors.js';
import type { OnDead } from './outbox-queue.js';
import { decodeJson } from './outbox-payloads.js';
import { backoffDelay } from '../util/backoff.js';

export type OutboxStatus = 'pending' | 'processing' | 'delivered' | 'dead';

export interface OutboxRow {
  id: number;
  idempotency_key: string;
  call_id: string | null;
  action_id: string | null;
  run_id: string | null;
  kind: string;
  /** The stored JSON, parsed (the text itself when it is not JSON); decoded per kind at delivery. */
  payload: unknown;
  /** Why the stored payload is not JSON text, when it is not (the delivery fails with it). */
  payload_error: string | null;
  status: OutboxStatus;
  attempts: number;
  max_attempts: number;
  next_attempt_at: number;
  claimed_at: number | null;
  claimed_by: string | null;
  last_error: string | null;
  result: unknown;
  created_at: string;
  delivered_at: string | null;
  /** Ordered chains: the key of the row this one releases, and whether a dead row still releases it. */
  next_key: string | null;
  on_dead: OnDead;
  /** Waiting for the row before it in its chain. */
  blocked: boolean;
  /** Outputs of the earlier rows of the chain, written when this row was released. */
  prior: Record<string, unknown>;
  /** W3C trace context of the call that queued the row (tracing on), continued by its delivery. */
  traceparent: string | null;
}

/**
 * How one claimed row ended. `row` is the row as the claim returned it: its `claimed_by` and
 * `attempts` identify the claim, and only the claim that still holds the row may complete it.
 */
export type Completion =
  | { id: number; ok: true; result?: unknown; chain?: Record<string, unknown>; row: OutboxRow }
  | { id: number; ok: false; error: string; permanent: boolean; row: OutboxRow };

export interface RetrySettings {
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export interface OutboxFilter {
  status?: OutboxStatus;
  kind?: string;
  callId?: string;
  limit?: number;
  offset?: number;
}

type RawRow = Omit<OutboxRow, 'payload' | 'payload_error' | 'result' | 'blocked' | 'prior'> & {
  payload: string;
  result: string | null;
  blocked: number;
  prior: string;
};

/** Reading a row never throws on its JSON: a damaged payload fails its delivery, not the claim or a listing. */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function hydrate(raw: RawRow): OutboxRow {
  const prior = parsed(raw.prior);
  const payload = decodeJson(raw.payload);
  return {
    ...raw,
    payload: payload.ok ? payload.value : raw.payload,
    payload_error: payload.ok ? null : payload.error,
    result: raw.result === null ? null : parsed(raw.result),
    blocked: raw.blocked === 1,
    prior: prior !== null && typeof prior === 'object' ? (prior as Record<string, unknown>) : {},
  };
}

/** Listings: newest first; a filter field that is unset or empty does not filter. */
const LISTING: FilteredTable<OutboxFilter> = {
  table: 'outbox',
  orderBy: 'id DESC',
  columns: [
    ['status', 'status'],
    ['kind', 'kind'],
    ['callId', 'call_id'],
  ],
};

const DUE = `status = 'pending' AND blocked = 0 AND next_attempt_at <= @now`;
/** Rows any node may deliver, and those pinned to this one (`@node`; '' = none: unpinned rows only). */
const OURS = `(node_id IS NULL OR node_id = @node)`;

/**
 * The claim: due rows, oldest first, in one statement. On PostgreSQL several nodes claim at once: the
 * SELECT locks the rows it picks and skips rows another node's claim holds locked, so two claims never
 * return the same row and never wait for each other. SQLite has one writer and needs no lock clause.
 * The pick is a MATERIALIZED common table expression so it runs once: PostgreSQL may run a locking
 * `IN (SELECT … LIMIT n)` subquery more than once in one UPDATE and so claim more than n rows.
 */
function claimSql(dialect: SqlDatabase['dialect']): string {
  const lock = dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
  return `WITH picked AS MATERIALIZED (
      SELECT id FROM outbox WHERE ${DUE} AND ${OURS} ORDER BY next_attempt_at, id LIMIT @limit${lock})
    UPDATE outbox SET status = 'processing', claimed_at = @now, claimed_by = @worker, attempts = attempts + 1
    WHERE status = 'pending' AND id IN (SELECT id FROM picked)
    RETURNING *`;
}

/** Claims whose lease expired (the worker stopped during delivery); locked on PostgreSQL, see claimSql. */
function staleSql(dialect: SqlDatabase['dialect']): string {
  const lock = dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
  return `SELECT * FROM outbox WHERE status = 'processing' AND claimed_at < ? ORDER BY id${lock}`;
}

// An expired claim is taken back only while it is still that claim (same attempt, still expired): a
// node that read the row as stale must not undo the fresh claim another node made of it meanwhile.
const STALE_CLAIM = `id = @id AND status = 'processing' AND attempts = @attempt AND claimed_at < @cutoff`;
const RECLAIM = `UPDATE outbox SET status = 'pending', next_attempt_at = @now, claimed_by = NULL, last_error = @error
  WHERE ${STALE_CLAIM}`;
const DEAD_STALE = `UPDATE outbox SET status = 'dead', last_error = @error, claimed_by = NULL WHERE ${STALE_CLAIM}`;

// Completions name their claim (worker and attempt): a worker whose lease expired and whose row
// another worker claimed again must not overwrite the newer claim's state or result.
const HELD_BY = `id = @id AND status = 'processing' AND claimed_by = @worker AND attempts = @attempt`;
const DELIVERED = `UPDATE outbox SET status = 'delivered', delivered_at = @at, result = @result, last_error = NULL
  WHERE ${HELD_BY}`;
const RETRY = `UPDATE outbox SET status = 'pending', next_attempt_at = @next, last_error = @error, claimed_by = NULL
  WHERE ${HELD_BY}`;
const DEAD_CLAIMED = `UPDATE outbox SET status = 'dead', last_error = @error, claimed_by = NULL WHERE ${HELD_BY}`;
const DEAD_PENDING = `UPDATE outbox SET status = 'dead', last_error = @error, claimed_by = NULL
  WHERE id = @id AND status = 'pending'`;
const RELEASE = `UPDATE outbox SET next_attempt_at = @now, blocked = 0, prior = @prior
  WHERE idempotency_key = @key AND status = 'pending' AND blocked = 1`;
const BY_ID = 'SELECT * FROM outbox WHERE id = ?';
const BY_KEY = 'SELECT * FROM outbox WHERE idempotency_key = ?';
// A replayed row is due on its own, also one an aborted chain dead-lettered while still blocked.
const REPLAY_SET = `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = @now, claimed_by = NULL,
  blocked = 0`;
const REPLAY = `${REPLAY_SET} WHERE id = @id AND status = 'dead'`;
const REPLAY_DEAD = `${REPLAY_SET} WHERE status = 'dead'`;

/** Claimed rows in claim order (RETURNING promises none). */
function byDueOrder(a: OutboxRow, b: OutboxRow): number {
  return a.next_attempt_at - b.next_attempt_at || a.id - b.id;
}

/**
 * The outbox table's state machine: pending → processing (claimed: `claimed_by` + `claimed_at` are the
 * lease) → delivered | pending (retry with backoff) | dead (last attempt failed). Several workers, in one
 * process or on several nodes sharing one PostgreSQL database, may claim at once: each claim is one
 * statement that never returns a row another claim holds, and each completion is written only while its
 * claim still holds the row. Claims and completions of a batch share one transaction.
 */
export class OutboxRepository {
  private readonly claimSql: string;
  private readonly staleSql: string;

  constructor(
    private readonly sql: SqlDatabase,
    private readonly retry: RetrySettings,
    private readonly random: () => number = Math.random,
    /** This node's id: rows pinned to it are claimed here, rows pinned to another node never are. */
    private readonly nodeId: () => string | null = () => null,
  ) {
    this.claimSql = claimSql(sql.dialect);
    this.staleSql = staleSql(sql.dialect);
  }

  /**
   * Writes finished deliveries and claims up to `limit` due rows, in one transaction.
   * `onSuperseded` hears the ids of completions refused because their claim no longer holds the row.
   */
  async completeAndClaim(
    now: number,
    limit: number,
    worker: string,
    leaseMs: number,
    done: Completion[] = [],
    onSuperseded?: (ids: number[]) => void,
  ): Promise<OutboxRow[]> {
    // READ COMMITTED: every write here is guarded by its own condition (the claim still held, the row
    // still pending or still stale) and claims lock what they pick (SKIP LOCKED), so nodes working the
    // same table at once never need a serializable snapshot, which would abort them against each other.
    const { claimed, superseded } = await this.sql.transaction(
      async () => {
        const superseded = await this.applyCompletions(now, done);
        if (limit <= 0) return { claimed: [], superseded };
        await this.reclaimStale(now, leaseMs);
        const params = { now, worker, limit, node: this.nodeId() ?? '' };
        const rows = await this.sql.all<RawRow>(this.claimSql, params);
        return { claimed: rows.map(hydrate).sort(byDueOrder), superseded };
      },
      { isolation: 'read committed' },
    );
    if (superseded.length) onSuperseded?.(superseded);
    return claimed;
  }

  /** Writes each completion whose claim still holds its row; returns the ids of those superseded. */
  private async applyCompletions(now: number, done: Completion[]): Promise<number[]> {
    const superseded: number[] = [];
    // One order for every writer, so two nodes' batches never wait on each other's rows in a cycle.
    for (const c of [...done].sort((x, y) => x.id - y.id)) {
      const { row } = c;
      // The guard in each UPDATE skips rows replayed, or reclaimed by another claim, meanwhile.
      const claim = { id: c.id, worker: row.claimed_by, attempt: row.attempts };
      let changed: number;
      if (c.ok) {
        const at = new Date(now).toISOString();
        const result = JSON.stringify(c.result ?? null);
        changed = (await this.sql.run(DELIVERED, { ...claim, at, result })).changes;
        if (changed) await this.releaseNext(row, c.chain ?? {}, now);
      } else if (c.permanent || row.attempts >= row.max_attempts) {
        changed = (await this.sql.run(DEAD_CLAIMED, { ...claim, error: c.error })).changes;
        if (changed) await this.afterDead(row, now);
      } else {
        const next =
          now + backoffDelay(row.attempts, this.retry.backoffBaseMs, this.retry.backoffMaxMs, this.random);
        changed = (await this.sql.run(RETRY, { ...claim, next, error: c.error })).changes;
      }
      if (!changed) superseded.push(c.id);
    }
    return superseded;
  }

  /** Rows whose lease expired: due again, or dead (with the chain handled) when that was the last attempt. */
  private async reclaimStale(now: number, leaseMs: number): Promise<void> {
    const cutoff = now - leaseMs;
    for (const raw of await this.sql.all<RawRow>(this.staleSql, [cutoff])) {
      const row = hydrate(raw);
      const error = `lease expired: the worker stopped during delivery (attempt ${row.attempts})`;
      const claim = { id: row.id, attempt: row.attempts, cutoff, error };
      if (row.attempts < row.max_attempts) await this.sql.run(RECLAIM, { ...claim, now });
      else if ((await this.sql.run(DEAD_STALE, claim)).changes) await this.afterDead(row, now);
    }
  }

  /** Ordered chains (after-call stage): the next row becomes due, carrying earlier outputs. */
  private async releaseNext(row: OutboxRow, chain: Record<string, unknown>, now: number): Promise<void> {
    if (row.next_key === null) return;
    const prior = { ...row.prior, ...chain };
    await this.sql.run(RELEASE, { key: row.next_key, now, prior: JSON.stringify(prior) });
  }

  private async afterDead(row: OutboxRow, now: number): Promise<void> {
    if (row.on_dead !== 'abort') return this.releaseNext(row, {}, now);
    // Abort the stage: the rest of the chain is dead-lettered unattempted, each saying why.
    let key = row.next_key;
    while (key !== null) {
      const r = await this.sql.get<RawRow>(BY_KEY, [key]);
      if (!r || r.status !== 'pending') break;
      await this.sql.run(DEAD_PENDING, {
        id: r.id,
        error: `not attempted: ${row.idempotency_key} failed and its failure policy aborts the stage`,
      });
      key = r.next_key;
    }
  }

  async get(id: number): Promise<OutboxRow | undefined> {
    const raw = await this.sql.get<RawRow>(BY_ID, [id]);
    return raw ? hydrate(raw) : undefined;
  }

  /** A page of rows, newest first, with the count of every row the filter matches. */
  async list(filter: OutboxFilter = {}): Promise<Page<OutboxRow>> {
    return filteredPage(this.sql, LISTING, filter, hydrate);
  }

  async counts(): Promise<Record<OutboxStatus, number>> {
    const out: Record<OutboxStatus, number> = { pending: 0, processing: 0, delivered: 0, dead: 0 };
    const rows = await this.sql.all<{ status: OutboxStatus; n: number }>(
      'SELECT status, count(*) AS n FROM outbox GROUP BY status',
    );
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }

  /**
   * What waits for delivery (pending or being delivered), when the oldest of it was written, and the
   * dead letters: read when Prometheus scrapes (both counts use the status index).
   */
  async backlog(): Promise<{ waiting: number; oldestWaitingCreatedAt: string | null; dead: number }> {
    const w = await this.sql.get<{ n: number; oldest: string | null }>(
      "SELECT count(*) AS n, min(created_at) AS oldest FROM outbox WHERE status IN ('pending', 'processing')",
    );
    const d = await this.sql.get<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE status = 'dead'");
    return { waiting: Number(w?.n ?? 0), oldestWaitingCreatedAt: w?.oldest ?? null, dead: Number(d?.n ?? 0) };
  }

  /**
   * Rows a drain waits for: being delivered, or pending and due by `beforeMs` (epoch ms). A row whose
   * next attempt falls after the drain window cannot finish in it, so it is not waited for.
   */
  async outstanding(beforeMs: number): Promise<number> {
    const row = await this.sql.get<{ n: number }>(
      `SELECT count(*) AS n FROM outbox WHERE status = 'processing'
          OR (status = 'pending' AND blocked = 0 AND next_attempt_at <= ?)`,
      [beforeMs],
    );
    return Number(row?.n ?? 0);
  }

  /** Puts a dead row back to pending with a fresh set of attempts. */
  async replay(id: number, now = Date.now()): Promise<OutboxRow> {
    // One conditional statement: a row another caller replays (or a worker claims) meanwhile is not reset.
    const { changes } = await this.sql.run(REPLAY, { id, now });
    const row = await this.get(id);
    if (!row) throw notFound('outbox row', id);
    if (changes === 0) {
      throw new CallwrightError(
        'CONFLICT',
        `outbox row ${id} is ${row.status}; only dead rows can be replayed`,
        [{ field: 'id', value: id, expected: 'the id of a dead outbox row' }],
      );
    }
    return row;
  }

  /** Replays every dead row; returns how many. */
  async replayAllDead(now = Date.now()): Promise<number> {
    return (await this.sql.run(REPLAY_DEAD, { now })).changes;
  }
}
