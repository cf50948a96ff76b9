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

const OPEN_CALLS = `SELECT id FROM calls WHERE ended_at IS NULL AND state != 'ended' ORDER BY started_at, rowid`;
const LAST_EVENT = 'SELECT max(at) AS at FROM call_events WHERE call_id = ?';

/**
 * The call row, still open, locked for this transaction on PostgreSQL: two processes recovering at
 * once close each call once (the second waits, then reads it ended). SQLite's transaction already
 * holds the write lock.
 */
function lockOpenCall(dialect: Store['dialect']): string {
  const lock = dialect === 'postgres' ? ' FOR UPDATE' : '';
  return `SELECT id FROM calls WHERE id = ? AND ended_at IS NULL AND state != 'ended'${lock}`;
}

/**
 * Closes the calls a previous process left open and queues their after-call work, exactly once.
 *
 * Run it at start, before this process takes calls: every open call is then one whose process is
 * gone (its media and SIP dialog went with it), so none is live. That holds only while one process
 * uses the database: the calls table does not record which node carries a call, so with several
 * nodes sharing one PostgreSQL database this would also close the live calls of the other nodes.
 *
 * Each call is closed by the engine's `endCall` — the same transaction that ends a call normally,
 * writing the same outbox chain — after re-reading the row, locked, in that transaction: a restart
 * during recovery either committed a call's end and its chain together (the call is no longer open,
 * so it is not recovered again) or neither.
 *
 * The end is dated at the call's last recorded event (the best evidence of when it was still alive),
 * `end_reason` is `server-restart` and `hangup_by` is `system`.
 */
export async function recoverOpenCalls(deps: {
  store: Store;
  engine: Pick<ActionEngine, 'session' | 'endCall'>;
  logger: Logger;
}): Promise<RecoveredCall[]> {
  const { store, logger } = deps;
  const open = await store.sql.all<{ id: string }>(OPEN_CALLS);
  const recovered: RecoveredCall[] = [];
  for (const { id } of open) {
    const result = await store.transaction(() => recoverOne(deps, id));
    if (!result) continue;
    recovered.push(result);
    logger.warn(
      { callId: id, state: result.state, afterCallActions: result.queued.length },
      'closed a call left open by a previous process; its after-call actions are queued',
    );
  }
  return recovered;
}

/** One open call closed, inside the caller's transaction; undefined when it is no longer open. */
async function recoverOne(
  deps: { store: Store; engine: Pick<ActionEngine, 'session' | 'endCall'> },
  id: string,
): Promise<RecoveredCall | undefined> {
  const { store, engine } = deps;
  if (!(await store.sql.get(lockOpenCall(store.dialect), [id]))) return undefined;
  const call = await store.calls.get(id);
  if (!call) return undefined;
  const last = await store.sql.get<{ at: string | null }>(LAST_EVENT, [id]);
  const endedAt = latest(call, last?.at ?? null);
  const outcome = call.state === 'ringing' ? 'failed' : (call.outcome ?? 'completed');
  await store.callEvents.append(id, 'hangup', { by: 'system', cause: SERVER_RESTART }, endedAt);
  const end = { endedAt, outcome, endReason: SERVER_RESTART, hangupBy: 'system' };
  if (!call.agent_id) {
    // No agent, no after-call plan: only the row is closed.
    await closeCallRow(store, id, end);
    return { callId: id, state: call.state, queued: [] };
  }
  const session = await engine.session({
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
  return { callId: id, state: call.state, queued: (await engine.endCall(session, end)).queued };
}

function latest(call: CallRecord, lastEventAt: string | null): string {
  const times = [call.started_at, call.answered_at, lastEventAt].filter((t): t is string => !!t);
  return times.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
}
