import type { Store, CallRecord } from '../store/store.js';
import type { Logger } from '../logging/logger.js';

interface PendingEvent {
  type: string;
  data: Record<string, unknown>;
  at: string;
}

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

  event(type: string, data: Record<string, unknown> = {}): void {
    this.pending.push({ type, data, at: new Date().toISOString() });
    this.scheduled ??= setImmediate(() => this.flush());
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
        for (const e of batch) this.store.callEvents.append(this.callId, e.type, e.data, e.at);
      })();
    } catch (err) {
      this.log.error({ err, events: batch.length }, 'call events write failed');
    }
  }
}
