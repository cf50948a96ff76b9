/** The keys the engine gives the outbox and the receivers of external effects. */

/**
 * Outbox row key of one after-call action for one call: a call's after-call chain is written once,
 * however often its end is written (a second write finds the same rows).
 */
export function actionKey(callId: string, actionId: string): string {
  return `${callId}:${actionId}`;
}

/**
 * Idempotency key of one RUN (the `action_runs` row): what receivers see as `Idempotency-Key` /
 * `webhook-id`. Two runs of the same action in one call are two effects, so two keys; the retries of
 * one run (in-call, or outbox redeliveries and replays) repeat its key so the receiver applies it once.
 */
export function runKey(callId: string | undefined | null, runId: string): string {
  return callId ? `${callId}:${runId}` : runId;
}
