import type { ActionEngine } from '../actions/action-engine.js';
import type { AnyActionType } from '../actions/action-type.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/store.js';
import type { Telephony } from '../telephony/port.js';
import type { SpeechServices } from '../speech/speech-services.js';
import { callFlowSettings } from './targets/call-flow-settings.js';
import type { CallFlowSink } from './flow-actions/call-flow-deps.js';
import { callFlowActionTypes } from './flow-actions/call-flow-types.js';
import { CallManager, type CallsDrainReport } from './call-manager.js';
import type { AdmissionControl } from './admission.js';
import { ensureDemoAgent } from './demo-agent.js';
import type { CallHooks } from '../observability/metrics-hooks.js';
import type { Tracing } from '../observability/tracing.js';
import type { RecordingServices } from './recording/recording-services.js';
import type { PhoneTokens } from './phone-token.js';

/**
 * The call layer as the server runs it. Two steps because the engine needs the call layer's action
 * types (transfers, voicemail, IVR: they drive the caller's leg) and the call layer needs the engine:
 * `actionTypes` go into the engine factory, then `attach(engine)` builds the manager (the types' sink),
 * creates the demo agent when configured and installs the inbound handler on the telephony backend.
 */
export class CallRuntime {
  /** The call-flow action types, closing over telephony, the call-flow settings and the manager. */
  readonly actionTypes: readonly AnyActionType[];
  private current: CallManager | undefined;
  /** Reaches the manager once `attach` has built it (the types are built before the engine). */
  private readonly sink: CallFlowSink = {
    emit: (callId, event) => this.current?.emit(callId, event),
    outcome: (callId, runId, outcome, refer) => this.current?.outcome(callId, runId, outcome, refer),
    recording: (callId, active) => this.current?.recording(callId, active),
    pauseRecording: (callId, paused, by) => this.current?.pauseRecording(callId, paused, by),
    settled: async (callId) => this.current?.settled(callId),
  };

  constructor(
    private readonly config: Config,
    private readonly deps: {
      store: Store;
      logger: Logger;
      telephony: Telephony;
      fetch?: typeof fetch;
      /** Ears and voice for calls (recognisers, voice activity); without them calls hear only keys. */
      speech?: SpeechServices;
      /** Set when the outbox worker runs a `voicemail-email` delivery handler. */
      durableVoicemailEmail?: boolean;
      /** Metrics: calls ended, transfers, turn latencies. */
      hooks?: CallHooks;
      /** One trace per call when tracing is on. */
      tracing?: Tracing;
      /** Limits on calls out (the backend admits calls in through the same object). */
      admission?: AdmissionControl;
      /** Whole-call recording; without it no call is recorded. */
      recording?: RecordingServices;
      /** Browser phones' tokens (POST /agents/{id}/phone); without them WebSocket calls are refused. */
      phoneTokens?: PhoneTokens;
    },
  ) {
    this.actionTypes = callFlowActionTypes({
      settings: callFlowSettings(config, { durableVoicemailEmail: deps.durableVoicemailEmail ?? false }),
      telephony: deps.telephony,
      sink: this.sink,
    });
  }

  get manager(): CallManager | undefined {
    return this.current;
  }

  async attach(engine: ActionEngine): Promise<CallManager> {
    const { store, logger, telephony } = this.deps;
    const manager = new CallManager({
      store,
      engine,
      telephony,
      settings: this.config.calls,
      trunks: this.config.sip.trunks.map((t) => t.name),
      logger,
      ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
      ...(this.deps.speech ? { speech: this.deps.speech } : {}),
      ...(this.deps.recording ? { recording: this.deps.recording } : {}),
      llm: this.config.llm,
      ...(this.deps.hooks ? { hooks: this.deps.hooks } : {}),
      ...(this.deps.tracing ? { tracing: this.deps.tracing } : {}),
      backend: this.config.telephony.backend,
      amd: this.config.amd,
      ...(this.deps.admission ? { admission: this.deps.admission } : {}),
      ...(this.deps.phoneTokens ? { phoneTokens: this.deps.phoneTokens } : {}),
    });
    this.current = manager;
    if (this.config.calls.demo_agent) {
      try {
        // Before the inbound handler is installed: the first call to the demo agent finds it.
        await ensureDemoAgent(store, engine, this.config.calls.demo_transfer_target, logger);
      } catch (err) {
        logger.error({ err }, 'the demo agent could not be created');
      }
    }
    // Metrics count each INVITE the handler settles (answered, refused, cancelled).
    telephony.onInbound(this.deps.hooks?.inbound(manager.handleInbound) ?? manager.handleInbound);
    return manager;
  }

  /**
   * Refuse new calls, let live ones finish (up to `windowMs`, by default `calls.drain_window_s` or the
   * older `calls.drain_timeout_ms`), then hang up the rest; `signal` hangs them up at once.
   */
  async drain(options: { windowMs?: number; signal?: AbortSignal } = {}): Promise<CallsDrainReport> {
    return (await this.current?.drain(options)) ?? { calls: 0, hungUp: 0 };
  }
}
