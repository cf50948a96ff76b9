import type { ActionEngine } from '../actions/action-engine.js';
import type { CallEnd } from '../actions/after-call.js';
import type { ActionSession, StageResult } from '../actions/action-session.js';
import type { CallHandle, CallState } from '../actions/action-type.js';
import type { ActionFailure, RunResult } from '../actions/action-runner.js';
import type { CallEvent } from '../actions/triggers/trigger.js';
import type {
  Agent,
  AgentEvent,
  AgentMedia,
  CallFlowOutcome,
  TransferOutcome,
  VoicemailOutcome,
} from '../agent/agent.js';
import type { TranscriptLine } from '../speech/speech-recognizer.js';
import type { Logger } from '../logging/logger.js';
import type { AgentRecord, Store } from '../store/store.js';
import type { CallLeg, HangupEvent, InboundCall } from '../telephony/port.js';
import { AgentDriver } from './agent-driver.js';
import { CallRecorder } from './call-recorder.js';
import { CallStateMachine } from './call-state.js';
import type { SpeechServices } from '../speech/speech-services.js';
import { resolveSpeech, type ResolvedSpeech } from '../speech/turn-settings.js';
import { SpeechProviderError } from '../speech/speech-error.js';
import { spokenStream, type SpokenStream } from './speech/spoken-stream.js';
import { CallListener } from './speech/call-listener.js';
import { heardText } from './speech/heard-text.js';
import { TurnLatency } from './turn-latency.js';
import type { CallHooks } from '../observability/metrics-hooks.js';
import type { CallRecordingControl } from './recording/call-recording-control.js';
import type { RecordingServices } from './recording/recording-services.js';
import type { CallRecordingResult } from '../telephony/port.js';
import type { CallAmdPlan } from './amd/amd-call-settings.js';
import { detectAnswer } from './amd/amd-call-flow.js';
import type { AmdClassifierPlan } from './amd/amd-classifier-settings.js';
import type { GreetingClassifierDeps } from './amd/greeting-classifier.js';
import { OpenAiChatClient } from '../integrations/llm/chat-client.js';
import type { LlmSettings } from '../config/schema.js';

/** What became of a line the agent spoke: all of it, and what the caller heard. */
export type SpokenLine = Omit<Extract<AgentEvent, { type: 'spoken' }>, 'type'>;

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
  /** Record the whole call (the call's or its number's option); undefined = the agent's setting. */
  record?: boolean;
  /** Answering-machine detection for this call out (docs/amd.md); undefined = none. */
  amd?: CallAmdPlan;
  /** A call out without detection: the agent's first words wait this long after the answer. */
  greetingDelayMs?: number;
}

export interface CallSessionDeps {
  store: Store;
  engine: ActionEngine;
  logger: Logger;
  /** Ears and voice; without them the call hears only keys and lines sent over the API. */
  speech?: SpeechServices;
  /** Whole-call recording (storage, links); without it no call is recorded. */
  recording?: RecordingServices;
  onEnded?: (session: CallSession) => void;
  /** Metrics: each turn's latency breakdown. */
  hooks?: CallHooks;
  /** The server's `llm` settings (the greeting classifier of kind llm). */
  llm?: LlmSettings;
}

/** What the agent is saying now, so caller speech can stop it (barge-in). */
interface Speaking {
  controller: AbortController;
  bargeIn: boolean;
  /** Set when caller speech stopped it. */
  bargedIn?: boolean;
}

/**
 * One call: its state machine, its record in the store, its action session (stages and triggers) and
 * its agent. Implements the engine's CallHandle over the caller's CallLeg.
 */
export class CallSession implements CallHandle {
  readonly id: string;
  readonly log: Logger;
  private actionSession: ActionSession | undefined;
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
  /** The agent's speech settings with the server's defaults (undefined without speech services). */
  readonly speech: ResolvedSpeech | undefined;
  private listener: CallListener | undefined;
  /** When listening began, in ms since the call was answered (transcript offsets). */
  private listenOffsetMs = 0;
  private answeredAt = 0;
  private speaking: Speaking | undefined;
  /** Each turn's latency breakdown (end of caller speech → first packet of the answer). */
  readonly turns: TurnLatency;
  /** The whole-call recording, when this call is recorded. */
  private readonly callRecording: CallRecordingControl | undefined;
  private recordingResult: CallRecordingResult | undefined;

  /**
   * A session for a call whose row exists. Its action session reads the agent's plan (and the contact)
   * from the store, so the session is usable once this resolves.
   */
  static async open(init: CallSessionInit, deps: CallSessionDeps): Promise<CallSession> {
    const session = new CallSession(init, deps);
    session.actionSession = await deps.engine.session({
      agentId: init.agent.id,
      callId: init.callId,
      direction: init.direction,
      from: init.from,
      to: init.to,
      ...(init.contactId ? { contactId: init.contactId } : {}),
      data: session.data,
      call: session,
      state: () => session.machine.state,
    });
    return session;
  }

  private constructor(
    readonly init: CallSessionInit,
    private readonly deps: CallSessionDeps,
  ) {
    this.id = init.callId;
    this.log = deps.logger.child({ callId: init.callId, agentId: init.agent.id });
    this.recorder = new CallRecorder(deps.store, init.callId, this.log);
    this.data = { ...init.variables };
    this.ended = new Promise((r) => (this.endedResolve = r));
    this.speech = deps.speech
      ? resolveSpeech(deps.speech.settings, init.agent.speech, init.agent.language)
      : undefined;
    const hooks = deps.hooks;
    const providers = {
      agentKind: init.agent.kind,
      recognizer: this.speech?.recognizer ?? 'none',
      synthesizer: this.speech?.synthesizer ?? 'none',
    };
    this.turns = new TurnLatency(
      this.recorder,
      () => (this.answeredAt ? Date.now() - this.answeredAt : 0),
      undefined,
      hooks && ((turn) => hooks.turn(providers, turn)),
    );
    this.driver = new AgentDriver(this, init.brain, deps.engine.templates);
    const record = init.record ?? init.agent.recording?.enabled ?? false;
    this.callRecording =
      record && deps.recording
        ? deps.recording.forCall(
            init.callId,
            this.recorder,
            () => (this.answeredAt ? Date.now() - this.answeredAt : 0),
            this.log,
          )
        : undefined;
    this.machine.onChange((from, to) => {
      this.log.info({ from, to }, 'call state');
      this.recorder.event('state', { from, to });
      // The row says `ended` only together with its end (outcome, ended_at, duration, who hung up),
      // written by the engine's endCall once the hang-up's runs and the recording have settled: a
      // client that sees `ended` can read the outcome.
      // Queued behind the `state` event (the recorder writes in order); never rejects.
      if (to !== 'ended') void this.recorder.update({ state: to });
    });
  }

  /** The call's stages, triggers and runs (set by `open` before the session is handed out). */
  get actions(): ActionSession {
    if (!this.actionSession) throw new Error('the call session is not open yet');
    return this.actionSession;
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

  /**
   * Inbound: ring, run the before stage within its budget, then answer (unless the caller gave up).
   * A call that ends unanswered resolves once its end is stored.
   */
  async answerInbound(call: InboundCall): Promise<void> {
    let cancelled = false;
    void call.cancelled.then(() => (cancelled = true));
    await call.ring();
    await this.runBefore();
    if (cancelled) {
      this.finish({ by: 'remote', cause: 'normal' }, 'cancelled');
      await this.ended;
      return;
    }
    let leg: CallLeg;
    try {
      leg = await call.answer();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'answer failed');
      this.finish({ by: 'local', cause: 'error' }, cancelled ? 'cancelled' : 'failed');
      await this.ended;
      return;
    }
    await this.connected(leg);
  }

  /** Runs the before stage; its outputs join `data.*` (and stay under `actions.<name>.*`). */
  async runBefore(): Promise<void> {
    const result = await this.actions.runStage('before');
    for (const run of result.runs) if (run.status === 'succeeded') Object.assign(this.data, run.outputs);
    if (result.runs.length) {
      this.recorder.event('stage', { stage: 'before', runs: result.runs.length, timed_out: result.timedOut });
      await this.recorder.update({ variables: this.data });
    }
  }

  /**
   * The caller's leg is up (inbound answered, or outbound answered by the callee): the agent starts,
   * on a call out once answering-machine detection has found a person (or after the greeting delay).
   * `answeredAt` is when the answer came (a call out's 200 OK); now when not given.
   */
  async connected(leg: CallLeg, answeredAt = new Date()): Promise<void> {
    this.callLeg = leg;
    // After a hang-up we asked for, wait until leg.hangup() has resolved, so the action or agent
    // command that hung up finishes (and is recorded as succeeded) before remaining runs are killed.
    leg.on('hangup', (e) => void this.hangingUp.then(() => setImmediate(() => this.finish(e))));
    leg.on('dtmf', (d) => this.onDtmf(d.digit, d.method));
    leg.on('remote-hold', (h) => this.recorder.event('hold', { held: h.held }));
    this.machine.to('answered');
    this.answeredAt = answeredAt.getTime();
    // Stored (after the `answered` state) before the during stage and the agent, which may read the row.
    await this.recorder.update({ answered_at: answeredAt.toISOString() });
    if (!leg.active) return this.finish(await leg.ended);
    const { amd, greetingDelayMs } = this.init;
    if (amd) {
      const services = this.deps.speech;
      const vad = services && this.speech ? { pool: services.vad, mode: this.speech.vadMode } : undefined;
      const agentStarts = await detectAnswer(this, leg, amd, {
        templates: this.deps.engine.templates,
        ...(this.deps.hooks ? { hooks: this.deps.hooks } : {}),
        ...(vad ? { vad } : {}),
        ...(amd.classifier ? { classifier: this.greetingClassifierDeps(amd.classifier) } : {}),
      });
      if (!agentStarts) return;
    } else if (this.init.direction === 'outbound' && greetingDelayMs) {
      await abortableDelay(greetingDelayMs, this.controller.signal);
    }
    if (!leg.active || this.state !== 'answered') return;
    if (this.callRecording) await this.startRecording(leg);
    await this.engineEvent({ type: 'answered' });
    this.speakAll((await this.actions.runStage('during')).say);
    await this.startListening(leg);
    this.driver.start();
  }

  /** The recogniser (and LLM) the greeting classifier uses, or why there is none. */
  private greetingClassifierDeps(plan: AmdClassifierPlan): GreetingClassifierDeps | { unavailable: string } {
    const services = this.deps.speech;
    if (!services || !this.speech) return { unavailable: 'no speech services (speech section)' };
    const name = plan.recognizer === 'agent' ? this.speech.recognizer : 'pocketsphinx';
    let recognizer;
    try {
      recognizer = services.recognizer(name);
    } catch (err) {
      return { unavailable: (err as Error).message };
    }
    if (!recognizer) return { unavailable: `the agent's recogniser is ${name}` };
    const llm = this.deps.llm;
    const client =
      plan.kind === 'llm' && llm?.base_url
        ? new OpenAiChatClient({ ...llm, model: plan.llmModel || llm.model })
        : undefined;
    return { recognizer, language: this.speech.language, ...(client ? { llm: client } : {}) };
  }

  // ---- whole-call recording -------------------------------------------------------------------

  /**
   * The consent prompt first (the agent's template), then the recording: what the caller heard of the
   * prompt is in the transcript, not in the recording.
   */
  private async startRecording(leg: CallLeg): Promise<void> {
    const prompt = this.init.agent.recording?.consent_prompt;
    if (prompt) {
      let text = prompt;
      try {
        text = this.deps.engine.templates.render(prompt, this.actions.scope(), 'recording.consent_prompt');
      } catch (err) {
        this.log.warn({ err }, 'the consent prompt template failed; saying it as written');
      }
      await this.say(text, { bargeIn: false });
      this.recorder.event('recording-consent', { prompt: text });
    }
    if (!leg.active || this.state === 'ended') return;
    await this.callRecording?.start(leg);
  }

  /** Pauses (true) or resumes (false) the whole-call recording (the pause/resume-recording actions). */
  pauseRecording(paused: boolean, by: string): { recording: boolean; paused: boolean; changed: boolean } {
    if (!this.callRecording) return { recording: false, paused: false, changed: false };
    return this.callRecording.setPaused(paused, by);
  }

  // ---- ears ---------------------------------------------------------------------------------------

  /** Starts the recogniser the agent uses on the caller's audio (none: the call hears only keys). */
  private async startListening(leg: CallLeg): Promise<void> {
    const services = this.deps.speech;
    const settings = this.speech;
    // A speech-to-speech agent hears the caller's audio itself (ctx.media).
    if (!services || !settings || settings.recognizer === 'none' || !leg.active || this.init.brain.hearsAudio)
      return;
    let recognizer;
    try {
      recognizer = services.recognizer(settings.recognizer);
    } catch (err) {
      this.log.error({ err }, 'the recogniser cannot be used');
      this.recorder.event('speech-error', { provider: settings.recognizer, message: (err as Error).message });
      return;
    }
    if (!recognizer) return;
    const phrases = [
      ...new Set([
        ...settings.hints,
        ...this.actions.intentPhrases(),
        ...(this.init.brain.listensFor?.() ?? []),
      ]),
    ];
    const listener = new CallListener(
      leg,
      settings,
      recognizer,
      services.vad,
      phrases,
      {
        bargeIn: () => this.bargeIn(),
        speechStarted: () => this.driver.onSpeechStarted(),
        speechEnded: () => {
          this.turns.speechEnded();
          this.driver.onSpeechEnded();
        },
        heard: (r) =>
          this.transcript({
            text: r.text,
            final: r.final,
            speaker: 'caller',
            provider: recognizer.provider,
            ...(r.confidence !== undefined ? { confidence: r.confidence } : {}),
            ...(r.startMs !== undefined ? { startMs: this.listenOffsetMs + r.startMs } : {}),
            ...(r.endMs !== undefined ? { endMs: this.listenOffsetMs + r.endMs } : {}),
          }),
        failed: (error) => void this.speechFailed(error),
      },
      this.log,
    );
    this.listener = listener;
    this.listenOffsetMs = Date.now() - this.answeredAt;
    try {
      await listener.start();
      this.recorder.event('listening', { recognizer: recognizer.provider, language: settings.language });
    } catch (err) {
      this.listener = undefined;
      // The call ended while the tap was being set up: nothing failed.
      if (this.state === 'ended' || !leg.active) return;
      this.log.error({ err }, 'listening could not start');
      this.recorder.event('speech-error', { provider: recognizer.provider, message: (err as Error).message });
    }
  }

  /** A question expects these answers: recognisers with a grammar listen for them until it ends. */
  expectAnswers(answers: string[] | undefined): void {
    this.listener?.expect(answers);
  }

  /** Caller speech long enough to count: what the agent is saying stops, if it may be interrupted. */
  private bargeIn(): void {
    const s = this.speaking;
    if (!s || !s.bargeIn || s.controller.signal.aborted) return;
    s.bargedIn = true;
    s.controller.abort(new Error('barge-in'));
  }

  /**
   * The recogniser failed: a call event with the provider's error, then the agent's fallback (say,
   * then carry on with keys, transfer or hang up), never dead air.
   */
  private async speechFailed(error: SpeechProviderError): Promise<void> {
    this.listener = undefined;
    this.recorder.event('speech-error', error.describe());
    void this.engineEvent({
      type: 'speech-error',
      detail: { provider: error.provider, failure: error.failure },
    });
    const fallback = this.speech?.onFailure;
    if (!fallback || this.state !== 'answered') return;
    // Now, not after the agent's current command: a gather waiting for speech would wait in silence.
    try {
      if (fallback.say) await this.say(fallback.say, { bargeIn: false });
      if (this.state !== 'answered') return;
      if (fallback.then === 'transfer' && fallback.target) await this.transfer(fallback.target);
      else if (fallback.then === 'hangup') await this.hangup('speech failure');
    } catch (err) {
      this.log.error({ err }, 'the speech fallback failed');
    }
  }

  /** A transcript line from a recogniser, the webhook agent or the API. */
  transcript(line: TranscriptLine): void {
    if (this.state === 'ended') return;
    if (!line.final) {
      // Partial lines reach agents that ask for them; only final lines are stored and fire triggers.
      if (line.speaker === 'caller') this.driver.onPartial(line.text);
      return;
    }
    this.recorder.event('transcript', {
      speaker: line.speaker,
      text: line.text,
      final: line.final,
      ...(line.confidence !== undefined ? { confidence: line.confidence } : {}),
      ...(line.startMs !== undefined ? { start_ms: line.startMs } : {}),
      ...(line.endMs !== undefined ? { end_ms: line.endMs } : {}),
      ...(line.provider ? { provider: line.provider } : {}),
    });
    void this.engineEvent({ type: 'transcript', text: line.text, speaker: line.speaker, final: true });
    if (line.speaker === 'caller') {
      this.turns.finalTranscript();
      this.driver.onSpeech(line.text);
    }
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

  /**
   * Speaks to the caller. While the agent listens with barge-in on (its setting, or `bargeIn` for this
   * prompt), caller speech or a key stops it; the transcript keeps what the caller actually heard.
   */
  async say(
    text: string,
    options: { signal?: AbortSignal; interruptOnDtmf?: boolean; bargeIn?: boolean } = {},
  ): Promise<void> {
    await this.speak(text, options);
  }

  /** Speaks a whole line; resolves with what the far end heard of it (a voicemail drop cut short). */
  sayLine(text: string, options: { bargeIn?: boolean } = {}): Promise<SpokenLine> {
    return this.speak(text, options);
  }

  /**
   * Speaks text still being written (an LLM's token stream), sentence by sentence as it comes; resolves
   * with all that was said and what the caller heard of it.
   */
  sayStream(text: AsyncIterable<string>, options: { bargeIn?: boolean } = {}): Promise<SpokenLine> {
    return this.speak(text, options);
  }

  private async speak(
    input: string | AsyncIterable<string>,
    options: { signal?: AbortSignal; interruptOnDtmf?: boolean; bargeIn?: boolean },
  ): Promise<SpokenLine> {
    const leg = this.callLeg;
    const written = typeof input === 'string' ? input : '';
    if (!leg?.active || this.state === 'ended') return { said: written, heard: '', interrupted: 'hangup' };
    const { voice, language } = this.init.agent;
    const bargeIn = !!this.listener && (options.bargeIn ?? this.speech?.bargeIn ?? false);
    const controller = new AbortController();
    const outer = options.signal ?? this.controller.signal;
    const onAbort = (): void => controller.abort(outer.reason);
    if (outer.aborted) return { said: written, heard: '', interrupted: 'hangup' };
    outer.addEventListener('abort', onAbort, { once: true });
    const speaking: Speaking = { controller, bargeIn };
    this.speaking = speaking;
    const startMs = Date.now() - this.answeredAt;
    // The line is stored when it begins (history keeps its order) and cut if the caller did not hear it all.
    const line = { speaker: 'agent', text: written, final: true, start_ms: startMs };
    const recorded = this.recorder.event('transcript', line);
    let outcome;
    let spoken: SpokenStream | undefined;
    let text = written;
    try {
      spoken = this.spokenStream(input, controller.signal);
      if (!spoken && typeof input !== 'string') {
        // No streaming synthesiser: the whole line is written first, then synthesised as one file.
        for await (const piece of input) text += piece;
        text = text.replace(/\s+/g, ' ').trim();
      }
      outcome = await leg.play(
        spoken?.source ?? {
          kind: 'speech',
          text,
          ...(voice ? { voice } : {}),
          ...(language && !voice ? { language } : {}),
        },
        {
          interruptOnDtmf: (options.interruptOnDtmf ?? false) || bargeIn,
          signal: controller.signal,
          onStarted: () => this.turns.firstPacket(),
        },
      );
    } finally {
      outer.removeEventListener('abort', onAbort);
      if (this.speaking === speaking) this.speaking = undefined;
    }
    if (spoken && typeof input !== 'string') text = spoken.said();
    const cut = outcome.status !== 'completed';
    const heard = !cut
      ? text
      : spoken
        ? spoken.heard(outcome.durationMs)
        : heardText(text, outcome.durationMs, estimateSpeechMs(text));
    const interrupted = !cut
      ? undefined
      : speaking.bargedIn
        ? 'barge-in'
        : outcome.status === 'hangup'
          ? 'hangup'
          : 'dtmf';
    this.recorder.amend(recorded, {
      ...line,
      text: heard,
      end_ms: startMs + outcome.durationMs,
      ...(cut ? { interrupted: speaking.bargedIn ? 'barge-in' : outcome.status, said: text } : {}),
    });
    return { said: text, heard, ...(interrupted ? { interrupted } : {}) };
  }

  /** The call's audio for an agent that hears and speaks audio itself (a speech-to-speech model). */
  agentMedia(): AgentMedia {
    return {
      listen: async (onFrame) => {
        const leg = this.callLeg;
        if (!leg?.active) throw new Error('the call has no live leg');
        return leg.listen(onFrame);
      },
      play: async (source, { signal }) => {
        const leg = this.callLeg;
        if (!leg?.active || this.state === 'ended') return { status: 'hangup', durationMs: 0 };
        return leg.play(source, {
          signal: AbortSignal.any([signal, this.controller.signal]),
          onStarted: () => this.turns.firstPacket(),
        });
      },
    };
  }

  /** The agent set the call's disposition (an idle hang-up's `no-response`, for instance). */
  async setDisposition(disposition: string): Promise<void> {
    const written = this.recorder.update({ call_disposition: disposition });
    this.recorder.event('disposition', { disposition, by: 'agent' });
    await written;
  }

  /**
   * The line as streamed speech from the agent's synthesiser (sentence by sentence), with espeak-ng
   * as the fallback when a cloud provider fails; undefined without speech services (the backend then
   * synthesises the whole line to a cached file).
   */
  private spokenStream(text: string | AsyncIterable<string>, signal: AbortSignal): SpokenStream | undefined {
    const services = this.deps.speech;
    const settings = this.speech;
    if (!services || !settings) return undefined;
    const { voice, language } = this.init.agent;
    const synth = services.synthesizer(settings.synthesizer);
    const fallback = settings.synthesizer === 'espeak' ? undefined : services.synthesizer('espeak');
    return spokenStream(
      text,
      { ...(voice ? { voice } : {}), ...(language && !voice ? { language } : {}) },
      synth,
      fallback,
      (err) => {
        const detail =
          err instanceof SpeechProviderError
            ? err.describe()
            : { provider: settings.synthesizer, message: (err as Error).message };
        this.log.warn({ provider: detail.provider }, 'speech synthesis failed');
        this.recorder.event('speech-error', { ...detail, during: 'synthesis' });
      },
      signal,
      { firstSentence: () => this.turns.mark('first_sentence'), firstAudio: () => this.turns.firstAudio() },
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
    void this.recorder.update({ outcome: 'transferred' });
    this.listener?.stop();
    this.listener = undefined;
    this.driver.stop();
  }

  async hangup(reason = 'agent'): Promise<void> {
    this.recorder.event('hangup-requested', { reason });
    // The leg has already ended (the caller hung up first): its own hang-up event ends the session,
    // with the real cause and who hung up.
    if (this.callLeg && !this.callLeg.active) return;
    if (this.callLeg) {
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
    this.listener?.stop();
    this.listener = undefined;
    this.controller.abort(new Error('call ended'));
    this.driver.stop();
    this.driver.notifyEnded(event);
    // Start writing the call's last events now; writeEnd waits for them before the end.
    void this.recorder.flush();
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
    // The recording's file is finished before the end is written: its upload is queued with it.
    const recorded = this.callRecording?.stop().then((r) => void (this.recordingResult = r));
    void Promise.allSettled([settling, recorded]).then(() => this.writeEnd(event, end));
  }

  /** Writes the call's end after its last event; never rejects (it runs from hang-up handlers). */
  private async writeEnd(event: HangupEvent, end: CallEnd): Promise<void> {
    const recording = this.callRecording;
    const done = this.recordingResult;
    try {
      // Every event recorded so far (the hang-up last) is stored before the row says the call ended.
      await this.recorder.flush();
      if (recording && done) {
        const scope = this.actions.scope();
        const { store, engine } = this.deps;
        // One transaction: the call's end, its after-call work and the recording's upload.
        await store.transaction(async () => {
          await engine.endCall(this.actions, end);
          await recording.queue(engine.outbox, done, {
            agentId: this.init.agent.id,
            contactId: this.init.contactId ?? null,
            scope,
          });
        });
        this.deps.recording?.kick();
      } else await this.deps.engine.endCall(this.actions, end);
    } catch (err) {
      this.log.error({ err }, 'writing the call end failed');
    }
    this.log.info({ by: event.by, cause: event.cause }, 'call ended');
    this.endedResolve(event);
    try {
      this.deps.onEnded?.(this);
    } catch (err) {
      this.log.error({ err }, 'the call-ended handler failed');
    }
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

/** Waits `ms`, or less when the signal aborts (the call ended). */
function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A rough length of spoken text (espeak-ng's default 175 words a minute ≈ 14 characters a second). */
function estimateSpeechMs(text: string): number {
  return Math.max(1, (text.length / 14) * 1000);
}
