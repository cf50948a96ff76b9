import type { CallChange, CallFeed } from '../../store/call-feed.js';
import type { EventStream } from './event-stream.js';

/**
 * Fans the store's change feed out to the open event streams: every call change to the streams of
 * the calls list, and a call's changes, events and runs to that call's streams. Subscribed to the feed
 * only while a stream is open (no listener, no work for the store), and each change is serialised
 * once, whatever the number of streams that get it.
 */
export class LiveCalls {
  private readonly all = new Set<EventStream>();
  private readonly byCall = new Map<string, Set<EventStream>>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly feed: CallFeed) {}

  /** Streams every call change to `stream` until it closes. */
  followAll(stream: EventStream): void {
    this.all.add(stream);
    this.ensureSubscribed();
    stream.onClose(() => {
      this.all.delete(stream);
      this.maybeUnsubscribe();
    });
  }

  /** Streams one call's changes, events and runs to `stream` until it closes. */
  followCall(callId: string, stream: EventStream): void {
    let set = this.byCall.get(callId);
    if (!set) this.byCall.set(callId, (set = new Set()));
    set.add(stream);
    this.ensureSubscribed();
    stream.onClose(() => {
      set.delete(stream);
      if (!set.size) this.byCall.delete(callId);
      this.maybeUnsubscribe();
    });
  }

  private ensureSubscribed(): void {
    this.unsubscribe ??= this.feed.subscribe((c) => this.dispatch(c));
  }

  private maybeUnsubscribe(): void {
    if (this.all.size || this.byCall.size) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private dispatch(c: CallChange): void {
    const callId = c.kind === 'call' ? c.call.id : c.call_id;
    const own = this.byCall.get(callId);
    if (c.kind === 'call') {
      if (!this.all.size && !own) return;
      const json = JSON.stringify({ change: c.change, call: c.call });
      for (const s of this.all) s.sendRaw('call', json);
      for (const s of own ?? []) s.sendRaw('call', json);
      return;
    }
    if (!own) return;
    const json = JSON.stringify(c.kind === 'event' ? c.event : c.run);
    for (const s of own) s.sendRaw(c.kind, json);
  }
}
