import { randomBytes } from 'node:crypto';
import type { Logger } from '../logging/logger.js';
import type { Completion, OutboxRepository, OutboxRow } from './outbox-repository.js';
import {
  PermanentDeliveryError,
  type DeliveryHandler,
  type DeliveryJob,
  type DeliveryOutcome,
} from './delivery-handler.js';
import { decodeValue } from './outbox-payloads.js';
import { noTracing, type Tracing } from '../observability/tracing.js';

/** Deliveries started per event-loop turn. */
const START_CHUNK = 8;

export interface OutboxWorkerSettings {
  /** Sleep between polls when nothing is due. */
  pollIntervalMs: number;
  /** A `processing` claim older than this is considered abandoned and is claimed again. */
  leaseMs: number;
  /** Deliveries in flight at once (also the most rows claimed per transaction). */
  concurrency: number;
  /** Each delivery is aborted after this long and counted as a failed attempt. */
  deliveryTimeoutMs: number;
}

export interface DeliveryReport {
  row: OutboxRow;
  ok: boolean;
  /** The lease had expired and another claim holds the row: this outcome was not written. */
  superseded?: boolean;
  error?: string;
  /** Claim to completion written, ms. */
  latencyMs: number;
}

export interface OutboxWorkerDeps {
  repository: OutboxRepository;
  handlers: readonly DeliveryHandler[];
  settings: OutboxWorkerSettings;
  logger: Logger;
  now?: () => number;
  /** Called after each completion is committed (metrics, tests, benchmarks). */
  onSettled?: (report: DeliveryReport) => void;
  /** Called after each complete-and-claim transaction with its duration (benchmarks). */
  onFlush?: (stats: { ms: number; completions: number; claimed: number }) => void;
  /** Each delivery is a span continuing the trace its row stored (tracing on). */
  tracing?: Tracing;
}

/**
 * Claims due outbox rows and delivers them at least once. The loop keeps up to `concurrency`
 * deliveries in flight; finished ones are written and new rows claimed in one short transaction, so
 * the database is written once per batch, never during network I/O. Workers on several nodes may share
 * one PostgreSQL database: claims never overlap (see OutboxRepository). A crash leaves claimed rows
 * `processing`; after `leaseMs` any worker, on any node, claims them again.
 */
export class OutboxWorker {
  readonly id = `wrk_${randomBytes(5).toString('hex')}`;
  private readonly handlers = new Map<string, DeliveryHandler>();
  private readonly now: () => number;
  private readonly inflight = new Map<number, { row: OutboxRow; abort: AbortController }>();
  private done: Array<{ completion: Completion; row: OutboxRow }> = [];
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | undefined;

  constructor(private readonly deps: OutboxWorkerDeps) {
    for (const h of deps.handlers) this.handlers.set(h.kind, h);
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop().catch((err: unknown) => {
      this.deps.logger.error({ err }, 'outbox worker stopped on an error');
      this.running = false;
    });
  }

  /** Wakes the loop now (new rows were written). */
  kick(): void {
    this.wake?.();
  }

  /** Stops claiming, waits up to `timeoutMs` for deliveries in flight, writes their results. */
  async stop(timeoutMs = 5000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.kick();
    await this.loopDone;
    const deadline = this.now() + timeoutMs;
    while (this.inflight.size > 0 && this.now() < deadline) await this.waitForWake(50);
    for (const { abort } of this.inflight.values()) abort.abort(new Error('worker stopping'));
    try {
      await this.flush(0);
    } catch (err) {
      // The rows stay claimed; after their lease another worker delivers them again (at least once).
      this.deps.logger.error({ err }, 'writing the last outbox completions failed');
    }
    for (const h of this.handlers.values()) await h.close?.();
  }

  private async loop(): Promise<void> {
    const { concurrency, pollIntervalMs } = this.deps.settings;
    // Completions written per transaction: fewer commits mean fewer WAL pages and checkpoints on
    // the event loop; waiting for them adds at most ~1 ms of latency.
    const batchTarget = Math.max(1, Math.ceil(concurrency / 4));
    while (this.running) {
      let claimed: OutboxRow[] = [];
      try {
        claimed = await this.flush(concurrency - this.inflight.size);
      } catch (err) {
        // SQLite busy beyond busy_timeout, disk full, PostgreSQL unreachable or a deadlock victim, …:
        // keep the completions, retry after a pause.
        this.deps.logger.error({ err }, 'outbox transaction failed; retrying');
        await new Promise<void>((r) => setTimeout(r, pollIntervalMs));
        continue;
      }
      // Start deliveries a few per turn of the event loop so a large claim never holds it for long.
      for (let i = 0; i < claimed.length; i++) {
        if (i > 0 && i % START_CHUNK === 0) await new Promise<void>((r) => setImmediate(r));
        this.deliver(claimed[i] as OutboxRow);
      }
      if (this.done.length === 0) await this.waitForWake(pollIntervalMs);
      if (this.done.length > 0 && this.done.length < batchTarget && this.inflight.size > 0) {
        await new Promise<void>((r) => setTimeout(r, 1));
      }
    }
  }

  /** Writes completions and claims up to `limit` rows; returns the claimed rows. */
  private async flush(limit: number): Promise<OutboxRow[]> {
    const batch = this.done;
    this.done = [];
    const now = this.now();
    const t0 = performance.now();
    let claimed: OutboxRow[];
    let superseded = new Set<number>();
    try {
      claimed = await this.deps.repository.completeAndClaim(
        now,
        limit,
        this.id,
        this.deps.settings.leaseMs,
        batch.map((b) => b.completion),
        (ids) => (superseded = new Set(ids)),
      );
    } catch (err) {
      this.done = batch.concat(this.done);
      throw err;
    }
    this.deps.onFlush?.({ ms: performance.now() - t0, completions: batch.length, claimed: claimed.length });
    for (const { completion, row } of batch) {
      const report: DeliveryReport = {
        row,
        ok: completion.ok,
        latencyMs: now - (row.claimed_at ?? now),
      };
      if (superseded.has(row.id)) {
        report.superseded = true;
        this.deps.logger.warn(
          { outboxId: row.id, kind: row.kind, attempt: row.attempts },
          'outbox delivery finished after its lease expired and the row was claimed again; its outcome is not written',
        );
      }
      if (!completion.ok) {
        report.error = completion.error;
        this.deps.logger.warn(
          { outboxId: row.id, kind: row.kind, attempt: row.attempts, err: completion.error },
          'outbox delivery failed',
        );
      }
      this.deps.onSettled?.(report);
    }
    return claimed;
  }

  private deliver(row: OutboxRow): void {
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new Error(`delivery timed out after ${this.deps.settings.deliveryTimeoutMs} ms`)),
      this.deps.settings.deliveryTimeoutMs,
    );
    this.inflight.set(row.id, { row, abort });
    // Never rejects: both outcomes become a completion.
    void this.handOver(row, abort.signal)
      .then(
        (outcome): Completion => ({
          id: row.id,
          ok: true,
          result: outcome?.result,
          chain: outcome?.chain,
          row,
        }),
        (err: unknown): Completion => ({
          id: row.id,
          row,
          ok: false,
          error: err instanceof Error ? err.message : String(err),
          permanent: err instanceof PermanentDeliveryError,
        }),
      )
      .then((completion) => {
        clearTimeout(timer);
        this.inflight.delete(row.id);
        this.done.push({ completion, row });
        this.kick();
      });
  }

  /**
   * Decodes the stored payload for its kind and hands the job to the kind's handler. A payload that
   * does not match its type, or a kind without a handler, fails the row permanently (never retried:
   * the stored data will not change), naming the field.
   */
  private async handOver(row: OutboxRow, signal: AbortSignal): Promise<DeliveryOutcome | void> {
    const decoded: ReturnType<typeof decodeValue> =
      row.payload_error !== null
        ? { ok: false, error: row.payload_error }
        : decodeValue(row.kind, row.payload);
    if (!decoded.ok) {
      try {
        await this.handlers
          .get(row.kind)
          ?.undeliverable?.({ id: row.id, runId: row.run_id, attempt: row.attempts }, decoded.error);
      } catch (err) {
        this.deps.logger.error({ err, outboxId: row.id }, 'recording an undeliverable outbox row failed');
      }
      throw new PermanentDeliveryError(decoded.error);
    }
    const handler = this.handlers.get(decoded.value.kind);
    if (!handler) {
      throw new PermanentDeliveryError(`no delivery handler for kind ${JSON.stringify(row.kind)}`);
    }
    const job: DeliveryJob = {
      id: row.id,
      idempotencyKey: row.idempotency_key,
      ...decoded.value,
      callId: row.call_id,
      actionId: row.action_id,
      runId: row.run_id,
      prior: row.prior,
      attempt: row.attempts,
      maxAttempts: row.max_attempts,
      signal,
    };
    const tracing = this.deps.tracing ?? noTracing;
    if (!tracing.enabled) return this.run(handler, job);
    const attributes = {
      'callwright.outbox.id': row.id,
      'callwright.outbox.kind': row.kind,
      'callwright.outbox.attempt': row.attempts,
      ...(row.call_id ? { 'callwright.call.id': row.call_id } : {}),
    };
    return tracing.span(
      'outbox.deliver',
      { kind: 'consumer', traceparent: row.traceparent, attributes },
      () => this.run(handler, job),
    );
  }

  private run(handler: DeliveryHandler, job: DeliveryJob): Promise<DeliveryOutcome | void> {
    try {
      return handler.deliver(job);
    } catch (err) {
      // A handler that throws before its first await fails the delivery, not the worker loop.
      return Promise.reject(err);
    }
  }

  private waitForWake(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
