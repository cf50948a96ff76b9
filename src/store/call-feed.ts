import type { CallRecord } from './store.js';
import type { CallEventRecord } from './repositories/call-events.js';

/** What a change did to a call's row: the call began, changed state, was answered, ended, or else. */
export type CallChangeKind = 'started' | 'state' | 'answered' | 'ended' | 'updated';

/**
 * One change the store has written: a call's row (whole, as now stored), one of its events (new or
 * amended), or one of its action runs (as now stored; the run's shape is the execution history's).
 */
export type CallChange =
  | { kind: 'call'; change: CallChangeKind; call: CallRecord }
  | { kind: 'event'; call_id: string; event: CallEventRecord }
  | { kind: 'run'; call_id: string; run: Record<string, unknown> & { id: string } };

export type CallChangeListener = (change: CallChange) => void;

/**
 * The in-process change feed of calls: the store's repositories publish here right after they write
 * a call's row, its events or its action runs, and live views (the API's event streams) subscribe.
 *
 * Cheap when nobody listens: `listening` is one size check, and publishers build what they publish
 * (a re-read row) only when it is true. Listeners run on a microtask after the write, so a write made
 * inside a transaction reaches them once the (synchronous) transaction has finished, and a slow
 * listener never sits inside a store write. The listeners are those subscribed when the change was
 * written: a view that subscribes and then reads its snapshot in the same turn sees each change once.
 */
export class CallFeed {
  private readonly listeners = new Set<CallChangeListener>();

  get listening(): boolean {
    return this.listeners.size > 0;
  }

  subscribe(listener: CallChangeListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  publish(change: CallChange): void {
    if (!this.listeners.size) return;
    const targets = [...this.listeners];
    queueMicrotask(() => {
      for (const l of targets) {
        try {
          l(change);
        } catch {
          // A listener's failure (a closed socket) is its own; the others still get the change.
        }
      }
    });
  }
}

/** Names what an update of a call's row did, from the fields the update wrote. */
export function callChangeKind(fields: Partial<CallRecord>): CallChangeKind {
  if (fields.ended_at) return 'ended';
  if (fields.answered_at) return 'answered';
  if (fields.state !== undefined) return 'state';
  return 'updated';
}
