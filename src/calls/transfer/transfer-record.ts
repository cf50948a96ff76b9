import type { Store } from '../../store/store.js';
import type { CallEventSink } from '../targets/call-flow-settings.js';

/** Puts a disposition on the call row before the call leaves the agent; `undo` when nothing took it. */
export interface DispositionHandoff {
  apply(): Promise<void>;
  undo(): Promise<void>;
}

/**
 * Applies a disposition to the call row before the call leaves the agent, and puts the previous one
 * back when nothing took the call (the agent may still set another). Each step reads the row and writes
 * it in one transaction, so a call that ends meanwhile keeps the disposition its end wrote.
 */
export function dispositionHandoff(
  store: Store,
  callId: string | undefined,
  disposition: string | undefined,
): DispositionHandoff | undefined {
  if (!callId || !disposition) return undefined;
  let previous: string | null | undefined;
  return {
    apply: () =>
      store.transaction(async () => {
        const call = await store.calls.get(callId);
        if (!call || call.ended_at) return;
        previous = call.call_disposition;
        await store.calls.update(callId, { call_disposition: disposition });
      }),
    undo: () =>
      store.transaction(async () => {
        if (previous === undefined) return;
        const restore = previous;
        previous = undefined;
        const call = await store.calls.get(callId);
        if (call && !call.ended_at) await store.calls.update(callId, { call_disposition: restore ?? null });
      }),
  };
}

/**
 * Stores a transfer outcome: on the call row (`transfer`), as a call event (`transfer` or
 * `transfer-failed`), and, on failure, tells the session so `transfer-failed` event triggers fire
 * (after the event is stored, so they can read it).
 */
export async function recordTransfer(
  deps: { store: Store; events?: CallEventSink },
  callId: string | undefined,
  kind: 'cold' | 'warm',
  outcome: { result: string } & Record<string, unknown>,
): Promise<void> {
  if (!callId) return;
  const { store } = deps;
  const failed = outcome.result === 'failed';
  const detail = { kind, ...outcome };
  await store.transaction(async () => {
    if (!(await store.calls.get(callId))) return;
    await store.calls.update(callId, { transfer: detail });
    await store.callEvents.append(callId, failed ? 'transfer-failed' : 'transfer', detail);
  });
  if (failed) deps.events?.emit(callId, { type: 'transfer-failed', detail });
}
