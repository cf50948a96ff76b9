import { AsyncResource } from 'node:async_hooks';
import type { Store, CallRecord } from '../store/store.js';
import type { Logger } from '../logging/logger.js';

interface PendingEvent {
  type: string;
  data: Record<string, unknown>;
  at: string;
  /** Set once written. */
  id?: number;
}

/** An event already recorded, to amend later (`CallRecorder.amend`). */
export type RecordedEvent = Readonly<{ type: string }>;

/**
 * Writes one call's history as it happens: the calls row and its call_events. Events are stamped when
 * they occur but written in small batches on the next turn of the event loop (one short transaction),
 * so a DTMF burst or a transcript stream never waits on the database on the media path.
 *
 * Every write (event batch, row update, amend) joins one queue per call and runs after the writes
 * issued before it, so history lands in the order it happened even on a database that runs statements
 * concurrently. A failed write is logged and the queue goes on: nothing here ever rejects. `flush()`
 * resolves once everything recorded so far is stored (the call's end is written after it).
 */
export class CallRecorder {
  private pending: PendingEvent[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  /** The last write queued; resolves (never rejects) when it is done. */
  private tail: Promise<void> = Promise.resolve();
  /**
   * The async context the recorder was made in (outside any transaction): queued writes run in it, so
   * a write issued from code running inside someone else's `store.transaction` never joins that
   * transaction (which may have ended by the time the write runs).
   */
  private readonly scope = new AsyncResource('callwright.call-recorder');

  constructor(
    private readonly store: Store,
    readonly callId: string,
    private readonly log: Logger,
  ) {}

  event(type: string, data: Record<string, unknown> = {}): RecordedEvent {
    const e: PendingEvent = { type, data, at: new Date().toISOString() };
    this.pending.push(e);
    this.scheduled ??= setImmediate(() => void this.flush());
    return e;
  }

  /**
   * New data for an event recorded earlier: changed in place while it waits to be written (the batch
   * writes the latest data), else rewritten by id once the write that gave it its id is done.
   */
  amend(event: RecordedEvent, data: Record<string, unknown>): void {
    const e = event as PendingEvent;
    e.data = data;
    void this.enqueue('call event amend failed', async () => {
      if (e.id !== undefined) await this.store.callEvents.amend(this.callId, e.id, e.data);
    });
  }

  /** Updates the call's row after the events recorded before it; resolves once written (or failed). */
  update(fields: Partial<CallRecord>): Promise<void> {
    this.queuePending();
    return this.enqueue('call row update failed', async () => {
      await this.store.calls.update(this.callId, fields);
    });
  }

  /** Writes the events still waiting; resolves once they and every write queued before are stored. */
  flush(): Promise<void> {
    this.queuePending();
    return this.tail;
  }

  /** Moves the waiting events into the write queue as one batch. */
  private queuePending(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    void this.enqueue('call events write failed', () =>
      this.store.transaction(async () => {
        for (const e of batch)
          e.id = (await this.store.callEvents.append(this.callId, e.type, e.data, e.at)).id;
      }),
    );
  }

  private enqueue(failure: string, write: () => Promise<void>): Promise<void> {
    const run = this.scope.bind(async (): Promise<void> => {
      // A store closed under a call (shutdown) takes no more writes; they are dropped, not errors.
      if (!this.store.sql.open) return;
      try {
        await write();
      } catch (err) {
        this.log.error({ err }, failure);
      }
    });
    this.tail = this.tail.then(run);
    return this.tail;
  }
}
