import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database.js';
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

const OUTBOX_TABLE: FilteredTable<OutboxFilter> = {
  table: 'outbox',
  orderBy: 'id DESC',
  columns: [
    ['status', 'status'],
    ['kind', 'kind'],
    ['callId', 'call_id'],
  ],
};

/**
 * The outbox table's state machine: pending → processing (claimed, lease running) → delivered | pending
 * (retry with backoff) | dead (last attempt failed). Every write is a short synchronous statement;
 * claims and completions of a batch share one IMMEDIATE transaction so the write lock is taken once.
 */
export class OutboxRepository {
  private readonly claimStmt: Statement;
  private readonly staleStmt: Statement;
  private readonly reclaimStmt: Statement;
  private readonly deliveredStmt: Statement;
  private readonly retryStmt: Statement;
  private readonly deadStmt: Statement;
  private readonly deadClaimedStmt: Statement;
  private readonly releaseStmt: Statement;
  private readonly getStmt: Statement;
  private readonly byKeyStmt: Statement;
  private readonly replayStmt: Statement;
  private readonly replayDeadStmt: Statement;
  private readonly txClaim: (
    now: number,
    limit: number,
    worker: string,
    leaseMs: number,
    done: Completion[],
  ) => { claimed: OutboxRow[]; superseded: number[] };

  constructor(
    private readonly db: Db,
    private readonly retry: RetrySettings,
    private readonly random: () => number = Math.random,
  ) {
    this.claimStmt = db.prepare(
      `UPDATE outbox SET status = 'processing', claimed_at = @now, claimed_by = @worker, attempts = attempts + 1
       WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND blocked = 0 AND next_attempt_at <= @now
                    ORDER BY next_attempt_at, id LIMIT @limit)
       RETURNING *`,
    );
    // A worker that died mid-delivery leaves `processing` rows; after the lease they are due again.
    this.staleStmt = db.prepare(`SELECT * FROM outbox WHERE status = 'processing' AND claimed_at < ?`);
    this.reclaimStmt = db.prepare(
      `UPDATE outbox SET status = 'pending', next_attempt_at = @now, claimed_by = NULL, last_error = @error
       WHERE id = @id AND status = 'processing'`,
    );
    // Completions name their claim (worker and attempt): a worker whose lease expired and whose row
    // another worker claimed again must not overwrite the newer claim's state or result.
    const heldBy = `id = @id AND status = 'processing' AND claimed_by = @worker AND attempts = @attempt`;
    this.deliveredStmt = db.prepare(
      `UPDATE outbox SET status = 'delivered', delivered_at = @at, result = @result, last_error = NULL
       WHERE ${heldBy}`,
    );
    this.retryStmt = db.prepare(
      `UPDATE outbox SET status = 'pending', next_attempt_at = @next, last_error = @error, claimed_by = NULL
       WHERE ${heldBy}`,
    );
    this.deadClaimedStmt = db.prepare(
      `UPDATE outbox SET status = 'dead', last_error = @error, claimed_by = NULL WHERE ${heldBy}`,
    );
    this.deadStmt = db.prepare(
      `UPDATE outbox SET status = 'dead', last_error = @error, claimed_by = NULL WHERE id = @id AND status = @from`,
    );
    this.releaseStmt = db.prepare(
      `UPDATE outbox SET next_attempt_at = @now, blocked = 0, prior = @prior
       WHERE idempotency_key = @key AND status = 'pending' AND blocked = 1`,
    );
    this.getStmt = db.prepare('SELECT * FROM outbox WHERE id = ?');
    this.byKeyStmt = db.prepare('SELECT * FROM outbox WHERE idempotency_key = ?');
    // A replayed row is due on its own, also one an aborted chain dead-lettered while still blocked.
    this.replayStmt = db.prepare(
      `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = @now, claimed_by = NULL, blocked = 0
       WHERE id = @id AND status = 'dead'`,
    );
    this.replayDeadStmt = db.prepare(
      `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = @now, claimed_by = NULL, blocked = 0
       WHERE status = 'dead'`,
    );
    const tx = db.transaction(
      (now: number, limit: number, worker: string, leaseMs: number, done: Completion[]) => {
        const superseded = this.applyCompletions(now, done);
        if (limit <= 0) return { claimed: [], superseded };
        this.reclaimStale(now, leaseMs);
        return { claimed: (this.claimStmt.all({ now, worker, limit }) as RawRow[]).map(hydrate), superseded };
      },
    );
    this.txClaim = (now, limit, worker, leaseMs, done) => tx.immediate(now, limit, worker, leaseMs, done);
  }

  /**
   * Writes finished deliveries and claims up to `limit` due rows, in one IMMEDIATE transaction.
   * `onSuperseded` hears the ids of completions refused because their claim no longer holds the row.
   */
  completeAndClaim(
    now: number,
    limit: number,
    worker: string,
    leaseMs: number,
    done: Completion[] = [],
    onSuperseded?: (ids: number[]) => void,
  ): OutboxRow[] {
    const { claimed, superseded } = this.txClaim(now, limit, worker, leaseMs, done);
    if (superseded.length) onSuperseded?.(superseded);
    return claimed;
  }

  /** Writes each completion whose claim still holds its row; returns the ids of those superseded. */
  private applyCompletions(now: number, done: Completion[]): number[] {
    const superseded: number[] = [];
    for (const c of done) {
      const { row } = c;
      // The guard in each UPDATE skips rows replayed, or reclaimed by another claim, meanwhile.
      const claim = { id: c.id, worker: row.claimed_by, attempt: row.attempts };
      let changed: number;
      if (c.ok) {
        const at = new Date(now).toISOString();
        changed = this.deliveredStmt.run({ ...claim, at, result: JSON.stringify(c.result ?? null) }).changes;
        if (changed) this.releaseNext(row, c.chain ?? {}, now);
      } else if (c.permanent || row.attempts >= row.max_attempts) {
        changed = this.deadClaimedStmt.run({ ...claim, error: c.error }).changes;
        if (changed) this.afterDead(row, now);
      } else {
        const next =
          now + backoffDelay(row.attempts, this.retry.backoffBaseMs, this.retry.backoffMaxMs, this.random);
        changed = this.retryStmt.run({ ...claim, next, error: c.error }).changes;
      }
      if (!changed) superseded.push(c.id);
    }
    return superseded;
  }

  /** Rows whose lease expired: due again, or dead (with the chain handled) when that was the last attempt. */
  private reclaimStale(now: number, leaseMs: number): void {
    for (const raw of this.staleStmt.all(now - leaseMs) as RawRow[]) {
      const row = hydrate(raw);
      const error = `lease expired: the worker stopped during delivery (attempt ${row.attempts})`;
      if (row.attempts < row.max_attempts) this.reclaimStmt.run({ id: row.id, now, error });
      else if (this.deadStmt.run({ id: row.id, error, from: 'processing' }).changes) this.afterDead(row, now);
    }
  }

  /** Ordered chains (after-call stage): the next row becomes due, carrying earlier outputs. */
  private releaseNext(row: OutboxRow, chain: Record<string, unknown>, now: number): void {
    if (row.next_key === null) return;
    const prior = { ...row.prior, ...chain };
    this.releaseStmt.run({ key: row.next_key, now, prior: JSON.stringify(prior) });
  }

  private afterDead(row: OutboxRow, now: number): void {
    if (row.on_dead !== 'abort') return this.releaseNext(row, {}, now);
    // Abort the stage: the rest of the chain is dead-lettered unattempted, each saying why.
    let key = row.next_key;
    while (key !== null) {
      const r = this.byKeyStmt.get(key) as RawRow | undefined;
      if (!r || r.status !== 'pending') break;
      this.deadStmt.run({
        id: r.id,
        error: `not attempted: ${row.idempotency_key} failed and its failure policy aborts the stage`,
        from: 'pending',
      });
      key = r.next_key;
    }
  }

  get(id: number): OutboxRow | undefined {
    const raw = this.getStmt.get(id) as RawRow | undefined;
    return raw ? hydrate(raw) : undefined;
  }

  list(filter: OutboxFilter = {}): Page<OutboxRow> {
    return filteredPage(this.db, OUTBOX_TABLE, filter, hydrate);
  }

  counts(): Record<OutboxStatus, number> {
    const out: Record<OutboxStatus, number> = { pending: 0, processing: 0, delivered: 0, dead: 0 };
    for (const r of this.db
      .prepare('SELECT status, count(*) AS n FROM outbox GROUP BY status')
      .all() as Array<{
      status: OutboxStatus;
      n: number;
    }>)
      out[r.status] = r.n;
    return out;
  }

  /**
   * Rows a drain waits for: being delivered, or pending and due by `beforeMs` (epoch ms). A row whose
   * next attempt falls after the drain window cannot finish in it, so it is not waited for.
   */
  outstanding(beforeMs: number): number {
    const row = this.db
      .prepare(
        `SELECT count(*) AS n FROM outbox WHERE status = 'processing'
            OR (status = 'pending' AND blocked = 0 AND next_attempt_at <= ?)`,
      )
      .get(beforeMs) as { n: number };
    return row.n;
  }

  /** Puts a dead row back to pending with a fresh set of attempts. */
  replay(id: number, now = Date.now()): OutboxRow {
    const row = this.get(id);
    if (!row) throw notFound('outbox row', id);
    if (row.status !== 'dead') {
      throw new CallwrightError(
        'CONFLICT',
        `outbox row ${id} is ${row.status}; only dead rows can be replayed`,
        [{ field: 'id', value: id, expected: 'the id of a dead outbox row' }],
      );
    }
    this.replayStmt.run({ id, now });
    return this.get(id) as OutboxRow;
  }

  /** Replays every dead row; returns how many. */
  replayAllDead(now = Date.now()): number {
    return this.replayDeadStmt.run({ now }).changes;
  }
}
