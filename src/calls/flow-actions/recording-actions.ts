import { Type } from '@sinclair/typebox';
import { defineActionType, type ActionContext, type AnyActionType } from '../../actions/action-type.js';
import { ActionError } from '../../errors.js';
import type { CallFlowDeps } from './call-flow-deps.js';

const NoConfig = Type.Object({}, { additionalProperties: false });

/**
 * Pauses or resumes the call's whole-call recording (card numbers, passwords): while paused, both
 * channels are written as silence so the recording's timeline stays the call's, and call events mark
 * each span. A call that is not recorded succeeds with `recording: false`, so an agent can ask for a
 * pause without knowing whether the call is recorded.
 */
function recordingSwitch(deps: CallFlowDeps, paused: boolean) {
  return async (ctx: ActionContext<Record<string, never>>): Promise<Record<string, unknown>> => {
    if (!ctx.callId)
      throw new ActionError('PRECONDITION', 'there is no call to pause or resume the recording of', false);
    const result = deps.sink?.pauseRecording?.(ctx.callId, paused, ctx.definition.name);
    if (!result)
      throw new ActionError('PRECONDITION', `call ${ctx.callId} is not live on this server`, false);
    return { ...result };
  };
}

export function pauseRecordingAction(deps: CallFlowDeps): AnyActionType {
  return defineActionType({
    name: 'pause-recording',
    title: 'Pause recording',
    description:
      'Pauses the call recording (e.g. while the caller reads out a card number): silence is recorded until it resumes.',
    configSchema: NoConfig,
    stages: ['during'],
    needs: ['live-call', 'answered-call'],
    exec: recordingSwitch(deps, true),
    simulate: () => ({ recording: true, paused: true, changed: true }),
  });
}

export function resumeRecordingAction(deps: CallFlowDeps): AnyActionType {
  return defineActionType({
    name: 'resume-recording',
    title: 'Resume recording',
    description: 'Resumes a paused call recording.',
    configSchema: NoConfig,
    stages: ['during'],
    needs: ['live-call', 'answered-call'],
    exec: recordingSwitch(deps, false),
    simulate: () => ({ recording: true, paused: false, changed: true }),
  });
}
