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
 * so a DTMF burst or a transcript stream never puts a synchronous SQLite write on the media path.
 * `flush()` writes what is pending at once (before the call's end is committed, so order holds).
 */
export class CallRecorder {
  private pending: PendingEvent[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly store: Store,
    readonly callId: string,
    private readonly log: Logger,
  ) {}

  event(type: string, data: Record<string, unknown> = {}): RecordedEvent {
    const e: PendingEvent = { type, data, at: new Date().toISOString() };
    this.pending.push(e);
    this.scheduled ??= setImmediate(() => this.flush());
    return e;
  }

  /** New data for an event recorded earlier: changed in place while pending, else rewritten by id. */
  amend(event: RecordedEvent, data: Record<string, unknown>): void {
    const e = event as PendingEvent;
    e.data = data;
    if (e.id === undefined || !this.store.db.open) return;
    try {
      this.store.callEvents.amend(this.callId, e.id, data);
    } catch (err) {
      this.log.error({ err }, 'call event amend failed');
    }
  }

  update(fields: Partial<CallRecord>): void {
    try {
      this.store.calls.update(this.callId, fields);
    } catch (err) {
      this.log.error({ err }, 'call row update failed');
    }
  }

  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (!this.pending.length || !this.store.db.open) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.store.db.transaction(() => {
        for (const e of batch) e.id = this.store.callEvents.append(this.callId, e.type, e.data, e.at).id;
      })();
    } catch (err) {
      this.log.error({ err, events: batch.length }, 'call events write failed');
    }
  }
}
