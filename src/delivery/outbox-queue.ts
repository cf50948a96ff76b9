import type { SqlDatabase } from '../store/sql/sql-database.js';
import { nowIso } from '../store/ids.js';
import type { OutboxKind, OutboxPayload } from './outbox-payloads.js';

/** What happens to the rest of an ordered chain when a row of it ends dead. */
export type OnDead = 'continue' | 'abort';

interface OutboxEntryBase {
  /** Unique per effect, e.g. `call_x:act_y`; a second enqueue with the same key is ignored. */
  idempotencyKey: string;
  callId?: string | null;
  actionId?: string | null;
  /** The `action_runs` row the delivery records its attempts in. */
  runId?: string | null;
  maxAttempts?: number;
  /** First try no earlier than this (epoch ms); default now. */
  notBefore?: number;
  /**
   * Only this node may deliver the row: its payload names a file on this node's disk (a recording, a
   * voicemail). A node restarted with the same id delivers it; no other node ever claims it.
   */
  pinned?: boolean;
  /** Wait until the previous row of the chain releases it. */
  blocked?: boolean;
  /** Key of the row this one releases when it is delivered (or dead with `onDead: 'continue'`). */
  nextKey?: string | null;
  /** Default `continue`: the next row is released even when this one ends dead. */
  onDead?: OnDead;
  /** W3C trace context the delivery continues; default: the queue's `traceparent` source (the live call's). */
  traceparent?: string | null;
}

/** One row to write: its payload typed by its kind (`outbox-payloads.ts`). */
export type OutboxEntry = {
  [K in OutboxKind]: OutboxEntryBase & { kind: K; payload: OutboxPayload<K> };
}[OutboxKind];

const INSERT_ROW = `INSERT INTO outbox (idempotency_key, call_id, action_id, run_id, kind, payload, max_attempts,
                       next_attempt_at, blocked, next_key, on_dead, created_at, traceparent, node_id)
   VALUES (@key, @call, @action, @run, @kind, @payload, @max, @next, @blocked, @nextKey, @onDead, @created,
           @traceparent, @node)
   ON CONFLICT (idempotency_key) DO NOTHING
   RETURNING id`;

const ID_BY_KEY = 'SELECT id FROM outbox WHERE idempotency_key = ?';

/**
 * Writes outbox rows. Callers run it inside their own `store.transaction` so the rows commit together
 * with the state change that caused them (the call's end): every statement made inside it joins it.
 */
export class OutboxQueue {
  constructor(
    private readonly sql: SqlDatabase,
    private readonly defaults: { maxAttempts: number },
    private readonly now: () => number = Date.now,
    /** The trace a row queued now belongs to (tracing on): the call's, or the active span's. */
    private readonly traceparentOf: (callId: string | null) => string | undefined = () => undefined,
    /** This node's id (cluster.node_id), written on pinned rows. */
    private readonly nodeId: () => string | null = () => null,
  ) {}

  /** Inserts (or finds) the row for this key; returns its id. */
  async enqueue(entry: OutboxEntry): Promise<number> {
    const inserted = await this.sql.get<{ id: number }>(INSERT_ROW, {
      key: entry.idempotencyKey,
      call: entry.callId ?? null,
      action: entry.actionId ?? null,
      run: entry.runId ?? null,
      kind: entry.kind,
      payload: JSON.stringify(entry.payload),
      max: entry.maxAttempts ?? this.defaults.maxAttempts,
      next: entry.notBefore ?? this.now(),
      blocked: entry.blocked ? 1 : 0,
      nextKey: entry.nextKey ?? null,
      onDead: entry.onDead ?? 'continue',
      created: nowIso(),
      traceparent: entry.traceparent ?? this.traceparentOf(entry.callId ?? null) ?? null,
      // Without a node id (a tool, a test engine) there is one process: the row is its own either way.
      node: entry.pinned ? this.nodeId() : null,
    });
    if (inserted) return Number(inserted.id);
    // The key was queued before: the first row stands (idempotency), whoever wrote it.
    const existing = await this.sql.get<{ id: number }>(ID_BY_KEY, [entry.idempotencyKey]);
    if (!existing) throw new Error(`outbox row ${entry.idempotencyKey} neither inserted nor found`);
    return Number(existing.id);
  }

  /** Enqueues many rows in one transaction (or inside the caller's). */
  enqueueMany(entries: readonly OutboxEntry[]): Promise<number[]> {
    return this.sql.transaction(async () => {
      const ids: number[] = [];
      for (const e of entries) ids.push(await this.enqueue(e));
      return ids;
    });
  }
}
