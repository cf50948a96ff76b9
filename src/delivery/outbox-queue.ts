import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/database.js';
import { nowIso } from '../store/ids.js';

/** `next_attempt_at` of a row waiting for the row before it in an ordered chain (after-call stage). */
export const BLOCKED_UNTIL = 8_640_000_000_000_000;

export interface OutboxEntry {
  /** Unique per effect, e.g. `call_x:act_y`; a second enqueue with the same key is ignored. */
  idempotencyKey: string;
  kind: string;
  payload: Record<string, unknown>;
  callId?: string | null;
  actionId?: string | null;
  maxAttempts?: number;
  /** First try no earlier than this (epoch ms); default now. */
  notBefore?: number;
  /** Wait until the previous row of the chain releases it. */
  blocked?: boolean;
}

/**
 * Writes outbox rows. Synchronous on purpose: callers run it inside their own `db.transaction`
 * so the rows commit together with the state change that caused them (the call's end).
 */
export class OutboxQueue {
  private readonly insert: Statement;
  private readonly byKey: Statement;

  constructor(
    private readonly db: Db,
    private readonly defaults: { maxAttempts: number },
    private readonly now: () => number = Date.now,
  ) {
    this.insert = db.prepare(
      `INSERT INTO outbox (idempotency_key, call_id, action_id, kind, payload, max_attempts, next_attempt_at, created_at)
       VALUES (@key, @call, @action, @kind, @payload, @max, @next, @created)
       ON CONFLICT (idempotency_key) DO NOTHING`,
    );
    this.byKey = db.prepare('SELECT id FROM outbox WHERE idempotency_key = ?');
  }

  /** Inserts (or finds) the row for this key; returns its id. */
  enqueue(entry: OutboxEntry): number {
    const info = this.insert.run({
      key: entry.idempotencyKey,
      call: entry.callId ?? null,
      action: entry.actionId ?? null,
      kind: entry.kind,
      payload: JSON.stringify(entry.payload),
      max: entry.maxAttempts ?? this.defaults.maxAttempts,
      next: entry.blocked ? BLOCKED_UNTIL : (entry.notBefore ?? this.now()),
      created: nowIso(),
    });
    if (info.changes > 0) return Number(info.lastInsertRowid);
    return (this.byKey.get(entry.idempotencyKey) as { id: number }).id;
  }

  /** Enqueues many rows in one transaction (or inside the caller's). */
  enqueueMany(entries: readonly OutboxEntry[]): number[] {
    return this.db.transaction(() => entries.map((e) => this.enqueue(e)))();
  }
}
