import { Type } from '@sinclair/typebox';
import type { ActionContext, ActionOutputs } from '../../actions/action-type.js';
import type { TransferOutcome } from '../../agent/agent.js';
import { ActionError } from '../../errors.js';
import type { CallLeg } from '../../telephony/port.js';
import { dispositionHandoff, recordTransfer } from '../transfer/transfer-record.js';
import type { CallFlowDeps } from './call-flow-deps.js';
import { markFailed, noTracing } from '../../observability/tracing.js';

/** Shared by cold-transfer and warm-transfer. */

/** Config fields both transfer types take; `transferBasics` reads them. */
export const transferFields = {
  ring_timeout_ms: Type.Optional(
    Type.Integer({
      minimum: 1000,
      maximum: 300000,
      description:
        'Ring the target this long (cold transfer: the bridged fallback); default sip.ring_timeout_ms',
    }),
  ),
  caller_id: Type.Optional(
    Type.String({ maxLength: 64, description: "Caller id shown to the target; default the caller's number" }),
  ),
  disposition: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: 'Call disposition set before the hand-off' }),
  ),
};

type TransferConfig = { ring_timeout_ms?: number; caller_id?: string; disposition?: string };

/**
 * Request fields both transfer types fill alike: how long the target rings (config, else
 * `sip.ring_timeout_ms`), the caller id shown to it (config, else the caller's number), the run's
 * abort signal and the disposition set at hand-off.
 */
/**
 * Runs a transfer in a `transfer` span (tracing on), child of the run's `action` span: its kind, method
 * and result. The target stays out (a phone number is PII).
 */
export function tracedTransfer<O extends { result: string; reason?: string; method?: string }>(
  ctx: ActionContext<TransferConfig>,
  kind: 'cold' | 'warm',
  work: () => Promise<O>,
): Promise<O> {
  const tracing = ctx.services.tracing ?? noTracing;
  if (!tracing.enabled) return work();
  return tracing.span('transfer', { attributes: { 'callwright.transfer.kind': kind } }, async (span) => {
    const outcome = await work();
    span.setAttributes({
      'callwright.transfer.outcome': outcome.result,
      ...(outcome.method ? { 'callwright.transfer.method': outcome.method } : {}),
      ...(outcome.reason ? { 'callwright.transfer.reason': outcome.reason } : {}),
    });
    if (outcome.result === 'failed') markFailed(span, outcome.reason ?? 'transfer failed');
    return outcome;
  });
}

export function transferBasics(ctx: ActionContext<TransferConfig>, leg: CallLeg, deps: CallFlowDeps) {
  return {
    ringTimeoutMs: ctx.config.ring_timeout_ms ?? deps.settings.ringTimeoutMs,
    callerId: ctx.config.caller_id || leg.info.from.user || undefined,
    signal: ctx.signal,
    handoff: dispositionHandoff(ctx.services.store, ctx.callId, ctx.config.disposition),
  };
}

/** The typed outcome the agent and the call session receive, from the transfer's detailed one. */
export function transferOutcome(
  mode: 'cold' | 'warm',
  outcome: { target: string; result: TransferOutcome['result']; reason?: string; status?: number },
  method: TransferOutcome['method'],
): TransferOutcome {
  const status = outcome.status ?? undefined;
  return {
    flow: 'transfer',
    mode,
    target: outcome.target,
    result: outcome.result,
    method,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
    ...(status !== undefined ? { status } : {}),
    handed_off: outcome.result !== 'failed',
  };
}

/** What became of the REFER a cold transfer tried (its `refer` attempt), for metrics. */
function referOutcome(detailed: object): string | undefined {
  const refer = (detailed as { refer?: { outcome?: unknown } }).refer;
  return typeof refer?.outcome === 'string' ? refer.outcome : undefined;
}

/**
 * Records a transfer's outcome on the call, reports the typed outcome to the call (hand-off, the agent's
 * result) and turns it into the run's result: a failed transfer (the caller is still with the agent)
 * fails the run with the reason; anything else has handed the call off.
 */
export async function transferRunResult(
  ctx: ActionContext<unknown>,
  deps: CallFlowDeps,
  detailed: { result: string; target: string } & object,
  outcome: TransferOutcome,
): Promise<ActionOutputs> {
  await recordTransfer({ store: ctx.services.store, events: deps.sink }, ctx.callId, outcome.mode, {
    ...detailed,
  });
  if (ctx.callId) deps.sink?.outcome?.(ctx.callId, ctx.runId, outcome, referOutcome(detailed));
  if (outcome.result === 'failed') {
    throw new ActionError(
      'TRANSFER_FAILED',
      `${outcome.mode === 'warm' ? 'warm transfer' : 'transfer'} to ${outcome.target} failed: ${outcome.reason ?? 'unknown'}`,
      false,
      { ...outcome },
    );
  }
  const { flow: _flow, ...typed } = outcome;
  return { ...detailed, ...typed };
}
