import type { Logger } from '../logging/logger.js';
import type { CallRecord, Store } from '../store/store.js';
import type { ActionEngine } from './action-engine.js';
import { closeCallRow } from './after-call.js';

/** `end_reason` of a call a previous process left open. */
export const SERVER_RESTART = 'server-restart';

export interface RecoveredCall {
  callId: string;
  /** The state the call was left in (ringing, answered, handed-off). */
  state: string;
  /** Outbox ids of its after-call actions. */
  queued: number[];
}

/**
 * Closes the calls a previous process left open and queues their after-call work, exactly once.
 *
 * Run it at start, before this process takes calls: every open call is then one whose process is
 * gone (its media and SIP dialog went with it), so none is live. Each call is closed by the engine's
 * `endCall` — the same transaction that ends a call normally, writing the same outbox chain — after
 * re-reading the row under the write lock: a restart during recovery either committed a call's end
 * and its chain together (the call is no longer open, so it is not recovered again) or neither.
 *
 * The end is dated at the call's last recorded event (the best evidence of when it was still alive),
 * `end_reason` is `server-restart` and `hangup_by` is `system`.
 */
export function recoverOpenCalls(deps: {
  store: Store;
  engine: Pick<ActionEngine, 'session' | 'endCall'>;
  logger: Logger;
}): RecoveredCall[] {
  const { store, engine, logger } = deps;
  const open = store.db
    .prepare(`SELECT id FROM calls WHERE ended_at IS NULL AND state != 'ended' ORDER BY started_at, rowid`)
    .all() as Array<{ id: string }>;
  const lastEvent = store.db.prepare('SELECT max(at) AS at FROM call_events WHERE call_id = ?');
  const recovered: RecoveredCall[] = [];
  for (const { id } of open) {
    const close = store.db.transaction((): RecoveredCall | undefined => {
      const call = store.calls.get(id);
      if (!call || call.ended_at !== null || call.state === 'ended') return undefined;
      const endedAt = latest(call, (lastEvent.get(id) as { at: string | null }).at);
      const outcome = call.state === 'ringing' ? 'failed' : (call.outcome ?? 'completed');
      store.callEvents.append(id, 'hangup', { by: 'system', cause: SERVER_RESTART }, endedAt);
      const end = { endedAt, outcome, endReason: SERVER_RESTART, hangupBy: 'system' };
      if (!call.agent_id) {
        // No agent, no after-call plan: only the row is closed.
        closeCallRow(store, id, end);
        return { callId: id, state: call.state, queued: [] };
      }
      const session = engine.session({
        agentId: call.agent_id,
        callId: id,
        direction: call.direction,
        from: call.from_number,
        to: call.to_number,
        startedAt: call.started_at,
        ...(call.contact_id ? { contactId: call.contact_id } : {}),
        data: call.variables,
        collected: call.collected,
      });
      return { callId: id, state: call.state, queued: engine.endCall(session, end).queued };
    });
    const result = close.immediate();
    if (!result) continue;
    recovered.push(result);
    logger.warn(
      { callId: id, state: result.state, afterCallActions: result.queued.length },
      'closed a call left open by a previous process; its after-call actions are queued',
    );
  }
  return recovered;
}

function latest(call: CallRecord, lastEventAt: string | null): string {
  const times = [call.started_at, call.answered_at, lastEventAt].filter((t): t is string => !!t);
  return times.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
}
