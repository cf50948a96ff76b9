import type { AnyActionType } from '../../actions/action-type.js';
import type { ActionRegistry } from '../../actions/registry.js';
import type { CallFlowDeps } from './call-flow-deps.js';
import { coldTransferAction } from './cold-transfer-action.js';
import { ivrNavigateAction } from './ivr-navigate-action.js';
import { leaveVoicemailAction } from './leave-voicemail-action.js';
import { warmTransferAction } from './warm-transfer-action.js';
import { pauseRecordingAction, resumeRecordingAction } from './recording-actions.js';

/**
 * The call-flow action types (cold/warm transfer, leave-voicemail, IVR navigation). They drive the
 * caller's leg, so they live in the call layer and close over its typed deps; the call layer hands
 * them to the engine factory at start-up (`createActionRuntime(..., { types })`).
 */
export function callFlowActionTypes(deps: CallFlowDeps): AnyActionType[] {
  return [
    coldTransferAction(deps),
    warmTransferAction(deps),
    leaveVoicemailAction(deps),
    ivrNavigateAction(deps),
    pauseRecordingAction(deps),
    resumeRecordingAction(deps),
  ];
}

/** Registers them into an existing registry (tests that build their own). */
export function registerCallFlowActions(registry: ActionRegistry, deps: CallFlowDeps): ActionRegistry {
  for (const type of callFlowActionTypes(deps)) registry.register(type);
  return registry;
}
