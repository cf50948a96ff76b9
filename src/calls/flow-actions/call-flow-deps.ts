import type { CallFlowOutcome } from '../../agent/agent.js';
import type { Telephony } from '../../telephony/port.js';
import type { CallEventSink, CallFlowSettings } from '../targets/call-flow-settings.js';

/**
 * Where the call-flow action types report to the call they run on. The call runtime implements it
 * over its live sessions; engine-level tests pass their own.
 */
export interface CallFlowSink extends CallEventSink {
  /**
   * The typed outcome of a flow run (`runId` is the run's `action_runs` row): the call session moves to
   * handed-off on a completed transfer and hands the same value to the agent command that asked for it.
   * `refer` is what became of the REFER a cold transfer tried (ReferAttempt outcome), for metrics.
   */
  outcome?(callId: string, runId: string | undefined, outcome: CallFlowOutcome, refer?: string): void;
  /** A recording starts (true) or ends: keys pressed meanwhile (the end key) belong to it. */
  recording?(callId: string, active: boolean): void;
  /**
   * Pauses (true) or resumes (false) the call's whole-call recording; undefined when the call is not
   * live, `recording: false` when it is not recorded.
   */
  pauseRecording?(
    callId: string,
    paused: boolean,
    by: string,
  ): { recording: boolean; paused: boolean; changed: boolean } | undefined;
  /**
   * Resolves once the history the live call recorded so far (transcript lines, its row's fields) is
   * stored, so a flow that reads the call from the store sees it; at once when the call is not live.
   */
  settled?(callId: string): Promise<void>;
}

/** What the call-flow action types close over: typed, given once by the call layer at start-up. */
export interface CallFlowDeps {
  settings: CallFlowSettings;
  /** Places target legs (bridged and warm transfers, ring groups); REFER needs none. */
  telephony?: Telephony;
  sink?: CallFlowSink;
}
