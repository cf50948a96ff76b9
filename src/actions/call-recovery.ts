import type { Logger } from '../logging/logger.js';
import type { CallRecord, Store } from '../store/store.js';
import type { ActionEngine } from './action-engine.js';
import { closeCallRow } from './after-call.js';

/** `end_reason` of a call a previous process of the same node left open. */
export const SERVER_RESTART = 'server-restart';
/** `end_reason` of a call whose node stopped its heartbeat, closed by a surviving node (docs/scaling.md). */
export const NODE_LOST = 'node-lost';

export interface RecoveredCall {
  callId: string;
  /** The state the call was left in (ringing, answered, handed-off). */
  state: string;
  /** Outbox ids of its after-call actions. */
  queued: number[];
}

const OPEN = `SELECT id FROM calls WHERE ended_at IS NULL AND state != 'ended'`;
const ORDER = ' ORDER BY started_at, rowid';

/** Which open calls a recovery closes: all of them, or those one node held (and, on its start, unowned ones). */
export interface RecoveryScope {
  /** The node whose calls are closed; absent = every open call (one process on the database). */
  nodeId?: string;
  /** Calls recorded before nodes were (no node_id) count as this node's: true on the node's own start. */
  includeUnowned?: boolean;
  /** `end_reason` written: `server-restart` (default) or `node-lost`. */
  reason?: string;
}

function openCalls(store: Store, scope: RecoveryScope): Promise<Array<{ id: string }>> {
  if (scope.nodeId === undefined) return store.sql.all<{ id: string }>(OPEN + ORDER);
  const unowned = scope.includeUnowned ? ' OR node_id IS NULL' : '';
  return store.sql.all<{ id: string }>(`${OPEN} AND (node_id = ?${unowned})${ORDER}`, [scope.nodeId]);
}
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
 * Run it at start, before this process takes calls, for this node's calls (`scope.nodeId`): every one
 * still open is then one whose process is gone (its media and SIP dialog went with it), so none is live.
 * With several nodes on one database each node closes only its own; the calls of a node that died are
 * closed by a survivor once its heartbeat lease ran out (NodeRegistry, reason `node-lost`).
 *
 * Each call is closed by the engine's `endCall` — the same transaction that ends a call normally,
 * writing the same outbox chain — after re-reading the row, locked, in that transaction: a restart
 * during recovery either committed a call's end and its chain together (the call is no longer open,
 * so it is not recovered again) or neither.
 *
 * The end is dated at the call's last recorded event (the best evidence of when it was still alive),
 * `end_reason` is the scope's reason (`server-restart` by default) and `hangup_by` is `system`.
 */
export async function recoverOpenCalls(
  deps: {
    store: Store;
    engine: Pick<ActionEngine, 'session' | 'endCall'>;
    logger: Logger;
  },
  scope: RecoveryScope = {},
): Promise<RecoveredCall[]> {
  const { store, logger } = deps;
  const reason = scope.reason ?? SERVER_RESTART;
  const recovered: RecoveredCall[] = [];
  for (const { id } of await openCalls(store, scope)) {
    const result = await store.transaction(() => recoverOne(deps, id, reason));
    if (!result) continue;
    recovered.push(result);
    logger.warn(
      { callId: id, state: result.state, afterCallActions: result.queued.length, node: scope.nodeId, reason },
      reason === NODE_LOST
        ? 'closed a call its node left open when it died; its after-call actions are queued'
        : 'closed a call left open by a previous process; its after-call actions are queued',
    );
  }
  return recovered;
}

/** One open call closed, inside the caller's transaction; undefined when it is no longer open. */
async function recoverOne(
  deps: { store: Store; engine: Pick<ActionEngine, 'session' | 'endCall'> },
  id: string,
  reason: string,
): Promise<RecoveredCall | undefined> {
  const { store, engine } = deps;
  if (!(await store.sql.get(lockOpenCall(store.dialect), [id]))) return undefined;
  const call = await store.calls.get(id);
  if (!call) return undefined;
  const last = await store.sql.get<{ at: string | null }>(LAST_EVENT, [id]);
  const endedAt = latest(call, last?.at ?? null);
  const outcome = call.state === 'ringing' ? 'failed' : (call.outcome ?? 'completed');
  await store.callEvents.append(id, 'hangup', { by: 'system', cause: reason }, endedAt);
  const end = { endedAt, outcome, endReason: reason, hangupBy: 'system' };
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
