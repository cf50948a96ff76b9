import { ActionError, type ActionContext, type ActionOutputs } from '../action-type.js';
import type { CallEventSink } from '../../calls/targets/call-flow-settings.js';
import { recordTransfer } from '../../calls/transfer/transfer-record.js';

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
