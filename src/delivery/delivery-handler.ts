/** One claimed outbox row, as a delivery handler sees it. */
export interface DeliveryJob {
  id: number;
  idempotencyKey: string;
  kind: string;
  payload: Record<string, unknown>;
  callId: string | null;
  actionId: string | null;
  /** 1 on the first try. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the delivery timeout passes or the worker stops. */
  signal: AbortSignal;
}

export interface DeliveryOutcome {
  /** Stored in the row's `result` column (JSON). */
  result?: unknown;
  /** Outputs passed to the next row of an ordered chain as `payload.prior` (merged). */
  chain?: Record<string, unknown>;
}

/** Delivers one kind of outbox row. Throw to fail (retried), throw PermanentDeliveryError to dead-letter now. */
export interface DeliveryHandler {
  readonly kind: string;
  deliver(job: DeliveryJob): Promise<DeliveryOutcome | void>;
  close?(): Promise<void> | void;
}

/** A failure retrying cannot fix (HTTP 4xx, a disabled or deleted definition, bad payload). */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}
