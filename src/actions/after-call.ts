import type { Store } from '../store/store.js';
import type { OutboxQueue } from '../delivery/outbox-queue.js';
import type { ActionPayload } from '../delivery/outbox-payloads.js';
import type { ActionSession } from './action-session.js';
import type { RunHistory } from './run-history.js';
import type { PlannedAction } from './agent-plan.js';
import { actionKey } from './idempotency-keys.js';

export const ACTION_DELIVERY_KIND = 'action';

/** How the call ended, as the call layer reports it. */
export interface CallEnd {
  endedAt?: string;
  outcome?: string;
  endReason?: string;
  hangupBy?: string;
  state?: string;
}

export interface EndCallResult {
  /** Outbox ids of the after-call actions, in order. */
  queued: number[];
  /** The disposition the call row ended with (the fallback when none was set). */
  callDisposition: string | null;
}

/**
 * Ends a call: in ONE transaction, marks the call row ended (duration, outcome, the fallback
 * disposition when none was set) and writes the after-call actions to the outbox as an ordered
 * chain — each row becomes due when the one before it is delivered (or dead with a policy that
 * continues), carrying the earlier outputs. If the process dies after commit, the worker delivers
 * them after restart; if it dies before, neither the end nor the rows exist.
 */
export async function endCallWithOutbox(
  deps: {
    store: Store;
    outbox: OutboxQueue;
    history: RunHistory;
    fallbackDisposition: string;
    maxAttempts: number;
  },
  session: ActionSession,
  end: CallEnd = {},
): Promise<EndCallResult> {
  const callId = session.init.callId;
  if (!callId) throw new Error('endCallWithOutbox needs a session with a callId');
  const { store } = deps;
  const plans = session.afterCallPlan();
  const scope = session.scope();
  return store.transaction(async (): Promise<EndCallResult> => {
    const disposition = await closeCallRow(store, callId, end, deps.fallbackDisposition);
    const queued: number[] = [];
    for (const [i, plan] of plans.entries()) {
      const next = plans[i + 1];
      queued.push(
        await deps.outbox.enqueue({
          idempotencyKey: actionKey(callId, plan.definition.id),
          kind: ACTION_DELIVERY_KIND,
          callId,
          actionId: plan.definition.id,
          runId: await startQueuedRun(deps.history, session, plan, callId),
          maxAttempts: plan.policy.retries > 0 ? plan.policy.retries + 1 : deps.maxAttempts,
          blocked: i > 0,
          nextKey: next ? actionKey(callId, next.definition.id) : null,
          onDead: plan.policy.on_failure === 'abort' ? 'abort' : 'continue',
          payload: payloadFor(session, plan, scope),
        }),
      );
    }
    return { queued, callDisposition: disposition };
  });
}

/**
 * Marks the call row ended (duration, outcome, reason, who hung up) and gives it the fallback
 * disposition when none was set; returns the disposition it ended with. Run inside the caller's
 * transaction.
 */
export async function closeCallRow(
  store: Store,
  callId: string,
  end: CallEnd,
  fallbackDisposition = '',
): Promise<string | null> {
  const call = await store.calls.require(callId);
  const endedAt = end.endedAt ?? new Date().toISOString();
  const disposition = call.call_disposition ?? (fallbackDisposition || null);
  await store.calls.update(callId, {
    state: end.state ?? 'ended',
    ended_at: endedAt,
    duration_ms: Math.max(0, Date.parse(endedAt) - Date.parse(call.started_at)),
    outcome: end.outcome ?? call.outcome ?? 'completed',
    end_reason: end.endReason ?? call.end_reason,
    hangup_by: end.hangupBy ?? call.hangup_by,
    call_disposition: disposition,
  });
  return disposition;
}

/** The `queued` history row of one after-call run; its id is the run's idempotency key too. */
function startQueuedRun(
  history: RunHistory,
  session: ActionSession,
  plan: PlannedAction,
  callId: string,
): Promise<string> {
  return history.start({
    actionId: plan.definition.id,
    attachmentId: plan.attachment.id,
    callId,
    agentId: session.init.agentId,
    actionType: plan.type.name,
    stage: 'after',
    trigger: { kind: 'event', event: 'ended' },
    inputs: {},
    status: 'queued',
  });
}

function payloadFor(
  session: ActionSession,
  plan: PlannedAction,
  scope: Record<string, unknown>,
): ActionPayload {
  return {
    agent_id: session.init.agentId,
    attachment_id: plan.attachment.id,
    action_name: plan.definition.name,
    contact_id: session.contactId ?? null,
    scope,
  };
}
