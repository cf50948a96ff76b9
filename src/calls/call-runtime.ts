import type { ActionEngine } from '../actions/action-engine.js';
import type { CallEvent } from '../actions/triggers/trigger.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/store.js';
import type { Telephony } from '../telephony/port.js';
import { callFlowSettings } from './targets/call-flow-settings.js';
import { EngineCallFlowRunner } from './call-flow-runner.js';
import { CallManager } from './call-manager.js';
import { ensureDemoAgent } from './demo-agent.js';

/**
 * The call layer as the server runs it. Two steps because the engine needs the call layer's services
 * (telephony, call-flow settings, the call-event sink) and the call layer needs the engine:
 * `services` go into the action runtime, then `attach(engine)` builds the manager, creates the demo
 * agent when configured and installs the inbound handler on the telephony backend.
 */
export class CallRuntime {
  readonly services: Record<string, unknown>;
  private current: CallManager | undefined;

  constructor(
    private readonly config: Config,
    private readonly deps: {
      store: Store;
      logger: Logger;
      telephony: Telephony;
      fetch?: typeof fetch;
      /** Set when the outbox worker runs a `voicemail-email` delivery handler. */
      durableVoicemailEmail?: boolean;
    },
  ) {
    this.services = {
      telephony: deps.telephony,
      callFlows: callFlowSettings(config, { durableVoicemailEmail: deps.durableVoicemailEmail ?? false }),
      // Call-flow actions report transfer-failed / voicemail-left here; the session's triggers fire.
      callEvents: { emit: (callId: string, event: CallEvent) => this.current?.emit(callId, event) },
    };
  }

  get manager(): CallManager | undefined {
    return this.current;
  }

  attach(engine: ActionEngine): CallManager {
    const { store, logger, telephony } = this.deps;
    const manager = new CallManager({
      store,
      engine,
      telephony,
      settings: this.config.calls,
      trunks: this.config.sip.trunks.map((t) => t.name),
      logger,
      flows: new EngineCallFlowRunner(engine),
      ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
    });
    this.current = manager;
    if (this.config.calls.demo_agent) {
      try {
        ensureDemoAgent(store, engine, this.config.calls.demo_transfer_target, logger);
      } catch (err) {
        logger.error({ err }, 'the demo agent could not be created');
      }
    }
    telephony.onInbound(manager.handleInbound);
    return manager;
  }

  /** Stop: refuse new calls, let live ones finish (up to calls.drain_timeout_ms), then hang up the rest. */
  async drain(): Promise<void> {
    await this.current?.drain();
  }
}
