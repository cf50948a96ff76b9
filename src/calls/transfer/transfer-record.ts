import type { Store } from '../../store/store.js';
import type { CallEventSink } from '../targets/call-flow-settings.js';

/**
 * Applies a disposition to the call row before the call leaves the agent, and puts the previous one
 * back when nothing took the call (the agent may still set another).
 */
export function dispositionHandoff(
  store: Store,
  callId: string | undefined,
  disposition: string | undefined,
): { apply(): void; undo(): void } | undefined {
  if (!callId || !disposition) return undefined;
  let previous: string | null | undefined;
  return {
    apply() {
      const call = store.calls.get(callId);
      if (!call || call.ended_at) return;
      previous = call.call_disposition;
      store.calls.update(callId, { call_disposition: disposition });
    },
    undo() {
      if (previous === undefined) return;
      const call = store.calls.get(callId);
      if (call && !call.ended_at) store.calls.update(callId, { call_disposition: previous ?? null });
      previous = undefined;
    },
  };
}

/**
 * Stores a transfer outcome: on the call row (`transfer`), as a call event (`transfer` or
 * `transfer-failed`), and, on failure, tells the session so `transfer-failed` event triggers fire.
 */
export function recordTransfer(
  deps: { store: Store; events?: CallEventSink },
  callId: string | undefined,
  kind: 'cold' | 'warm',
  outcome: { result: string } & Record<string, unknown>,
): void {
  if (!callId) return;
  const { store } = deps;
  const failed = outcome.result === 'failed';
  const detail = { kind, ...outcome };
  if (store.calls.get(callId)) {
    store.db.transaction(() => {
      store.calls.update(callId, { transfer: detail });
      store.callEvents.append(callId, failed ? 'transfer-failed' : 'transfer', detail);
    })();
  }
  if (failed) deps.events?.emit(callId, { type: 'transfer-failed', detail });
}
