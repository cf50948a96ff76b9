import type { OutboxKind, OutboxPayload } from './outbox-payloads.js';

/** One claimed outbox row, as a delivery handler sees it: the payload decoded and checked for its kind. */
export interface DeliveryJob<K extends OutboxKind = OutboxKind> {
  id: number;
  idempotencyKey: string;
  kind: K;
  payload: OutboxPayload<K>;
  callId: string | null;
  actionId: string | null;
  /** The `action_runs` row this delivery records its attempts in (after-call actions). */
  runId: string | null;
  /** Outputs of the earlier rows of its ordered chain (empty for the first row and unchained rows). */
  prior: Record<string, unknown>;
  /** 1 on the first try. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the delivery timeout passes or the worker stops. */
  signal: AbortSignal;
}

export interface DeliveryOutcome {
  /** Stored in the row's `result` column (JSON). */
  result?: unknown;
  /** Outputs passed to the next row of an ordered chain as its `prior` (merged). */
  chain?: Record<string, unknown>;
}

/** Delivers one kind of outbox row. Throw to fail (retried), throw PermanentDeliveryError to dead-letter now. */
export interface DeliveryHandler<K extends OutboxKind = OutboxKind> {
  readonly kind: K;
  deliver(job: DeliveryJob<K>): Promise<DeliveryOutcome | void>;
  /**
   * Told when a row of this kind dead-letters without reaching `deliver` because its stored payload
   * does not match its type (e.g. to close the run the row would have recorded in).
   */
  undeliverable?(
    row: { id: number; runId: string | null; attempt: number },
    error: string,
  ): Promise<void> | void;
  close?(): Promise<void> | void;
}

/** A failure retrying cannot fix (HTTP 4xx, a disabled or deleted definition, bad payload). */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}
