import type { ActionEngine } from '../actions/action-engine.js';
import type { CallEnd } from '../actions/after-call.js';
import type { ActionSession, StageResult } from '../actions/action-session.js';
import type { CallHandle, CallState } from '../actions/action-type.js';
import type { ActionFailure, RunResult } from '../actions/action-runner.js';
import type { CallEvent } from '../actions/triggers/trigger.js';
import type { Agent, CallFlowOutcome, TransferOutcome, VoicemailOutcome } from '../agent/agent.js';
import type { TranscriptLine } from '../speech/speech-recognizer.js';
import type { Logger } from '../logging/logger.js';
import type { AgentRecord, Store } from '../store/store.js';
import type { CallLeg, HangupEvent, InboundCall } from '../telephony/port.js';
import { AgentDriver } from './agent-driver.js';
import { CallRecorder } from './call-recorder.js';
import { CallStateMachine } from './call-state.js';

/** Type names of the call-flow action types the `transfer` and `voicemail` agent commands run. */
export const FLOW_TYPES = {
  cold: 'cold-transfer',
  warm: 'warm-transfer',
  voicemail: 'leave-voicemail',
} as const;

/**
 * What an agent's `transfer` / `voicemail` command got: the typed outcome when the flow ran (a failed
 * transfer included), or the typed failure when it could not start (bad config, no live call, …).
 */
export type FlowCommandResult<O> = { ok: boolean; outcome?: O; error?: { code: string; message: string } };

export interface CallSessionInit {
  callId: string;
  agent: AgentRecord;
  brain: Agent;
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  contactId?: string;
  /** Integration data sent when the call started (`data.*`). */
  variables: Record<string, unknown>;
}

export interface CallSessionDeps {
  store: Store;
  engine: ActionEngine;
  logger: Logger;
  onEnded?: (session: CallSession) => void;
}

/**
 * One call: its state machine, its record in the store, its action session (stages and triggers) and
 * its agent. Implements the engine's CallHandle over the caller's CallLeg.
 */
export class CallSession implements CallHandle {
  readonly id: string;
  readonly log: Logger;
  readonly actions: ActionSession;
  readonly recorder: CallRecorder;
  readonly machine = new CallStateMachine();
  /** Aborted when the call ends: plays, gathers and agent requests stop. */
  readonly controller = new AbortController();
  readonly ended: Promise<HangupEvent>;
  private endedResolve!: (e: HangupEvent) => void;
  private callLeg: CallLeg | undefined;
  private hangingUp: Promise<unknown> = Promise.resolve();
  private readonly driver: AgentDriver;
  /** Integration data plus before-stage outputs, the `data.*` namespace every action sees. */
  private readonly data: Record<string, unknown>;
  /** Typed outcomes the call-flow types reported, by run, until the command that ran them takes them. */
  private readonly outcomes = new Map<string, CallFlowOutcome>();
  /** A recording runs: keys pressed (the end key) are its own, not the agent's or the triggers'. */
  private recordingKeys = false;

  constructor(
    readonly init: CallSessionInit,
    private readonly deps: CallSessionDeps,
  ) {
    this.id = init.callId;
    this.log = deps.logger.child({ callId: init.callId, agentId: init.agent.id });
    this.recorder = new CallRecorder(deps.store, init.callId, this.log);
    this.data = { ...init.variables };
    this.actions = deps.engine.session({
      agentId: init.agent.id,
      callId: init.callId,
      direction: init.direction,
      from: init.from,
      to: init.to,
      ...(init.contactId ? { contactId: init.contactId } : {}),
      data: this.data,
      call: this,
      state: () => this.machine.state,
    });
    this.ended = new Promise((r) => (this.endedResolve = r));
    this.driver = new AgentDriver(this, init.brain, deps.engine.templates);
    this.machine.onChange((from, to) => {
      this.log.info({ from, to }, 'call state');
      this.recorder.event('state', { from, to });
      this.recorder.update({ state: to });
    });
  }

  get leg(): CallLeg | undefined {
    return this.callLeg;
  }

  get state(): CallState {
    return this.machine.state;
  }

  get agentRecord(): AgentRecord {
    return this.init.agent;
  }

  /** Inbound: ring, run the before stage within its budget, then answer (unless the caller gave up). */
  async answerInbound(call: InboundCall): Promise<void> {
    let cancelled = false;
    void call.cancelled.then(() => (cancelled = true));
    await call.ring();
    await this.runBefore();
    if (cancelled) return this.finish({ by: 'remote', cause: 'normal' }, 'cancelled');
    let leg: CallLeg;
    try {
      leg = await call.answer();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'answer failed');
      return this.finish({ by: 'local', cause: 'error' }, cancelled ? 'cancelled' : 'failed');
    }
    await this.connected(leg);
  }

  /** Runs the before stage; its outputs join `data.*` (and stay under `actions.<name>.*`). */
  async runBefore(): Promise<void> {
    const result = await this.actions.runStage('before');
    for (const run of result.runs) if (run.status === 'succeeded') Object.assign(this.data, run.outputs);
    if (result.runs.length) {
      this.recorder.event('stage', { stage: 'before', runs: result.runs.length, timed_out: result.timedOut });
      this.recorder.update({ variables: this.data });
    }
  }

  /** The caller's leg is up (inbound answered, or outbound answered by the callee): the agent starts. */
  async connected(leg: CallLeg): Promise<void> {
    this.callLeg = leg;
    // After a hang-up we asked for, wait until leg.hangup() has resolved, so the action or agent
    // command that hung up finishes (and is recorded as succeeded) before remaining runs are killed.
    leg.on('hangup', (e) => void this.hangingUp.then(() => setImmediate(() => this.finish(e))));
    leg.on('dtmf', (d) => this.onDtmf(d.digit, d.method));
    leg.on('remote-hold', (h) => this.recorder.event('hold', { held: h.held }));
    this.machine.to('answered');
    this.recorder.update({ answered_at: new Date().toISOString() });
    if (!leg.active) return this.finish({ by: 'remote', cause: 'normal' });
    await this.engineEvent({ type: 'answered' });
    this.speakAll((await this.actions.runStage('during')).say);
    this.driver.start();
  }

  /** A transcript line from a recogniser, the webhook agent or the API. */
  transcript(line: TranscriptLine): void {
    if (this.state === 'ended') return;
    this.recorder.event('transcript', { speaker: line.speaker, text: line.text, final: line.final });
    if (!line.final) return;
    void this.engineEvent({ type: 'transcript', text: line.text, speaker: line.speaker, final: true });
    if (line.speaker === 'caller') this.driver.onSpeech(line.text);
  }

  /** Feeds a call event to the engine's triggers; texts the fired actions return are spoken. */
  async engineEvent(event: CallEvent): Promise<StageResult | undefined> {
    try {
      const result = await this.actions.handleEvent(event);
      if (result.runs.length)
        this.recorder.event('actions', {
          fired_by: event.type,
          runs: result.runs.map((r) => ({ action: r.action, status: r.status })),
        });
      this.speakAll(result.say);
      return result;
    } catch (err) {
      this.log.error({ err }, 'action trigger failed');
      return undefined;
    }
  }

  private speakAll(texts: string[]): void {
    if (texts.length) this.driver.interject(texts);
  }

  private onDtmf(digit: string, method: string): void {
    this.recorder.event('dtmf', { digit, method });
    // The key that ends a recording belongs to the recording (RecordOptions.endOnDtmf).
    if (this.recordingKeys) return;
    void this.engineEvent({ type: 'dtmf', digits: digit });
    this.driver.onDigit(digit);
  }

  // ---- CallHandle -------------------------------------------------------------------------------

  async say(text: string, options: { signal?: AbortSignal; interruptOnDtmf?: boolean } = {}): Promise<void> {
    const leg = this.callLeg;
    if (!leg?.active || this.state === 'ended') return;
    this.recorder.event('transcript', { speaker: 'agent', text, final: true });
    const { voice, language } = this.init.agent;
    await leg.play(
      { kind: 'speech', text, ...(voice ? { voice } : {}), ...(language && !voice ? { language } : {}) },
      { interruptOnDtmf: options.interruptOnDtmf ?? false, signal: options.signal ?? this.controller.signal },
    );
  }

  async play(path: string, options: { signal?: AbortSignal; interruptOnDtmf?: boolean } = {}): Promise<void> {
    const leg = this.callLeg;
    if (!leg?.active || this.state === 'ended') return;
    this.recorder.event('play', { path });
    await leg.play(
      { kind: 'file', path },
      { interruptOnDtmf: options.interruptOnDtmf ?? false, signal: options.signal ?? this.controller.signal },
    );
  }

  async sendDtmf(digits: string): Promise<{ sent: string }> {
    if (!this.callLeg?.active) throw new Error('the call has no live leg');
    await this.callLeg.sendDtmf(digits);
    this.recorder.event('dtmf-sent', { digits });
    return { sent: digits };
  }

  // ---- an agent's flow commands (the call layer's own; action types drive the leg themselves) --------

  /**
   * An agent's `transfer` command: the cold- or warm-transfer type run inline through the action
   * session (an `action_runs` row with no definition). A completed transfer has handed the call off by
   * the time this resolves (`flowOutcome`).
   */
  async transfer(
    target: string,
    options: Record<string, unknown> = {},
  ): Promise<FlowCommandResult<TransferOutcome>> {
    const { mode, ...config } = options;
    const type = mode === 'warm' ? FLOW_TYPES.warm : FLOW_TYPES.cold;
    const { outcome, ...result } = await this.runFlow(type, { ...config, target }, 'transfer');
    return { ...result, ...(outcome?.flow === 'transfer' ? { outcome } : {}) };
  }

  /** An agent's `voicemail` command: the leave-voicemail type run inline, like `transfer`. */
  async voicemail(options: Record<string, unknown> = {}): Promise<FlowCommandResult<VoicemailOutcome>> {
    const { outcome, ...result } = await this.runFlow(FLOW_TYPES.voicemail, options, 'voicemail');
    return { ...result, ...(outcome?.flow === 'voicemail' ? { outcome } : {}) };
  }

  private async runFlow(
    type: string,
    config: Record<string, unknown>,
    command: 'transfer' | 'voicemail',
  ): Promise<FlowCommandResult<CallFlowOutcome>> {
    const run = await this.actions.runInline({ type, config, firedBy: { kind: 'command', command } });
    const outcome = run.runId ? this.takeOutcome(run.runId) : undefined;
    this.recorder.event('flow', { type, ok: run.status === 'succeeded', ...failureCode(run) });
    return {
      ok: run.status === 'succeeded',
      ...(outcome ? { outcome } : {}),
      ...(run.error ? { error: { code: run.error.code, message: run.error.message } } : {}),
    };
  }

  private takeOutcome(runId: string): CallFlowOutcome | undefined {
    const outcome = this.outcomes.get(runId);
    this.outcomes.delete(runId);
    return outcome;
  }

  /**
   * A call-flow type reports its typed outcome (through the call manager): a transfer that took the
   * call hands it off now; the value waits for the agent command that ran it (attached runs drop it).
   */
  flowOutcome(runId: string | undefined, outcome: CallFlowOutcome): void {
    if (outcome.flow === 'transfer' && outcome.handed_off) this.handedOff(outcome);
    if (runId) this.outcomes.set(runId, outcome);
    // Attached runs (triggers, tools) never take theirs; keep only the latest few.
    if (this.outcomes.size > 8) this.outcomes.delete(this.outcomes.keys().next().value as string);
  }

  /** A call-flow type records the caller (true) or stopped: keys meanwhile are the recording's. */
  recording(active: boolean): void {
    this.recordingKeys = active;
  }

  /** The agent leaves: the caller now talks to someone else (a bridged or referred transfer). */
  handedOff(outcome: TransferOutcome): void {
    if (!this.machine.canMove('handed-off')) return;
    this.machine.to('handed-off');
    // The transfer types record their typed outcome on the row (`transfer`); keep it, note the hand-off.
    this.recorder.event('handed-off', { result: outcome.result, method: outcome.method });
    this.recorder.update({ outcome: 'transferred' });
    this.driver.stop();
  }

  async hangup(reason = 'agent'): Promise<void> {
    this.recorder.event('hangup-requested', { reason });
    if (this.callLeg?.active) {
      // Set before calling: a backend may emit the hangup event inside hangup() itself.
      let release!: () => void;
      this.hangingUp = new Promise<void>((r) => (release = r));
      try {
        await this.callLeg.hangup('normal');
      } catch {
        // The leg ended meanwhile; its hangup event ends the session.
      } finally {
        release();
      }
    } else this.finish({ by: 'local', cause: 'normal' }, reason);
  }

  /**
   * Ends the session once: stops the agent, lets runs that complete on hang-up (a voicemail the
   * caller ended by hanging up) finish, then writes the end and queues after-call work in one
   * transaction (the engine's endCall). Runs on the turn after the hang-up event, so an action that
   * hung up the call (hang-up type) completes before the remaining runs are killed.
   */
  finish(event: HangupEvent, outcome?: string): void {
    if (this.state === 'ended') return;
    const wasHandedOff = this.state === 'handed-off';
    this.recorder.event('hangup', {
      by: event.by,
      cause: event.cause,
      ...(event.status ? { status: event.status } : {}),
    });
    this.machine.to('ended');
    this.controller.abort(new Error('call ended'));
    this.driver.stop();
    this.driver.notifyEnded(event);
    this.recorder.flush();
    const end = {
      // The call ended now, even when its end is written after a voicemail has been stored.
      endedAt: new Date().toISOString(),
      outcome:
        outcome ??
        (wasHandedOff || event.cause === 'transferred' ? 'transferred' : this.defaultOutcome(event)),
      endReason: event.cause,
      // The remote party is the caller of a call in and the callee of a call out.
      hangupBy: event.by === 'local' ? 'agent' : this.init.direction === 'inbound' ? 'caller' : 'callee',
    } as const;
    const settling = this.actions.settleOnHangup('call ended');
    if (settling) void settling.then(() => this.writeEnd(event, end));
    else this.writeEnd(event, end);
  }

  private writeEnd(event: HangupEvent, end: CallEnd): void {
    try {
      this.deps.engine.endCall(this.actions, end);
    } catch (err) {
      this.log.error({ err }, 'writing the call end failed');
    }
    this.log.info({ by: event.by, cause: event.cause }, 'call ended');
    this.endedResolve(event);
    this.deps.onEnded?.(this);
  }

  private defaultOutcome(event: HangupEvent): string {
    if (!this.callLeg)
      return event.cause === 'busy' ? 'busy' : event.cause === 'no-answer' ? 'no-answer' : 'failed';
    return 'completed';
  }
}

function failureCode(run: RunResult): { code?: ActionFailure['code'] } {
  return run.status === 'succeeded' ? {} : { code: run.error?.code ?? 'ERROR' };
}
