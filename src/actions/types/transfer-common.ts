import { Type } from '@sinclair/typebox';
import { type ActionContext, type ActionOutputs } from '../action-type.js';
import type { CallEventSink, CallFlowServices } from '../../calls/targets/call-flow-settings.js';
import { dispositionHandoff, recordTransfer } from '../../calls/transfer/transfer-record.js';
import type { CallLeg } from '../../telephony/port.js';
import { ActionError } from '../../errors.js';

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
export function transferBasics(ctx: ActionContext<TransferConfig>, leg: CallLeg, flows: CallFlowServices) {
  return {
    ringTimeoutMs: ctx.config.ring_timeout_ms ?? flows.settings?.ringTimeoutMs ?? 30_000,
    callerId: ctx.config.caller_id || leg.info.from.user || undefined,
    signal: ctx.signal,
    handoff: dispositionHandoff(ctx.services.store, ctx.callId, ctx.config.disposition),
  };
}

/**
 * Records a transfer's outcome on the call and turns it into the run's result: a failed transfer (the
 * caller is still with the agent) fails the run with the reason, anything else has handed the call off.
 */
export function transferRunResult<O extends { result: string; target: string; reason?: string }>(
  ctx: ActionContext<unknown>,
  events: CallEventSink | undefined,
  kind: 'cold' | 'warm',
  outcome: O,
): ActionOutputs {
  recordTransfer({ store: ctx.services.store, events }, ctx.callId, kind, { ...outcome });
  if (outcome.result === 'failed') {
    throw new ActionError(
      'TRANSFER_FAILED',
      `${kind === 'warm' ? 'warm transfer' : 'transfer'} to ${outcome.target} failed: ${outcome.reason ?? 'unknown'}`,
      false,
      { ...outcome },
    );
  }
  return { ...outcome, handed_off: true };
}
