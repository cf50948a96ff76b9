import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/store.js';
import type { ActionsSettings, OutboxSettings } from '../config/schema.js';
import { TemplateRenderer } from '../templates/template-renderer.js';
import { OutboxQueue } from '../delivery/outbox-queue.js';
import type { DeliveryHandler } from '../delivery/delivery-handler.js';
import type { ActionIntegrations, ActionServices, AnyActionType, Clock } from './action-type.js';
import { ActionRunner } from './action-runner.js';
import { ActionSession, type SessionInit } from './action-session.js';
import { ActionDeliveryHandler } from './action-delivery.js';
import { endCallWithOutbox, type CallEnd, type EndCallResult } from './after-call.js';
import { loadAgentPlan, type PlannedAction } from './agent-plan.js';
import { ContactMemory } from './contact-memory.js';
import { DefinitionService } from './definitions.js';
import type { ActionRegistry } from './registry.js';
import { RunHistory } from './run-history.js';
import { createActionRegistry } from './types/index.js';

export interface ActionEngineDeps {
  store: Store;
  logger: Logger;
  actions: ActionsSettings;
  outbox: Pick<OutboxSettings, 'max_attempts'>;
  /** Defaults to every built-in type (`createActionRegistry`); tests pass one with extra types. */
  registry?: ActionRegistry;
  clock?: Clock;
  /** The integrations (http, mailer, sms, crm, llm, summarizer, booking), composed once by the server. */
  services?: ActionIntegrations;
  /** Called after after-call rows commit (wakes the outbox worker). */
  onQueued?: () => void;
}

/**
 * The one engine factory the server, the API and the tests use: every built-in type plus `types` (the
 * call layer's call-flow types, a test's own types) in one registry, over the given integrations.
 */
export function createActionEngine(
  deps: Omit<ActionEngineDeps, 'registry'> & { types?: readonly AnyActionType[] },
): ActionEngine {
  const { types = [], ...rest } = deps;
  const registry = createActionRegistry();
  for (const type of types) registry.register(type);
  return new ActionEngine({ ...rest, registry });
}

/**
 * The action engine: composes the registry, templates, history, runner and outbox queue, and
 * hands out one `ActionSession` per call. The call session (call flows issue) uses:
 * `session(init)` at ring, `runStage('before')`, `handleEvent(...)`/`callTool(...)` during, and
 * `endCall(session, end)` in place of writing the call's end itself.
 */
export class ActionEngine {
  readonly registry: ActionRegistry;
  readonly templates = new TemplateRenderer();
  readonly history: RunHistory;
  readonly outbox: OutboxQueue;
  readonly contacts: ContactMemory;
  readonly definitions: DefinitionService;
  readonly services: ActionServices;
  readonly runner: ActionRunner;

  constructor(private readonly deps: ActionEngineDeps) {
    this.registry = deps.registry ?? createActionRegistry();
    const clock = deps.clock ?? { now: () => Date.now() };
    this.history = new RunHistory(deps.store.sql, deps.store.feed);
    const tracing = deps.services?.tracing;
    this.outbox = new OutboxQueue(
      deps.store.sql,
      { maxAttempts: deps.outbox.max_attempts },
      () => clock.now(),
      // Rows remember their call's trace, so deliveries after the call join it.
      tracing?.enabled ? (callId) => tracing.traceparent(callId) : undefined,
      () => deps.store.nodeId,
    );
    this.contacts = new ContactMemory(deps.store);
    this.definitions = new DefinitionService(deps.store, this.registry, this.templates);
    this.services = {
      ...(deps.services ?? {}),
      store: deps.store,
      logger: deps.logger,
      clock,
      templates: this.templates,
      contacts: this.contacts,
      outbox: this.outbox,
    };
    this.runner = new ActionRunner(this.services, this.history);
  }

  plan(agentId: string): Promise<PlannedAction[]> {
    return loadAgentPlan(this.deps.store, this.registry, agentId);
  }

  /** A session for one call (or one simulation, with `dryRun`): its plan and its contact read. */
  async session(init: SessionInit): Promise<ActionSession> {
    const session = new ActionSession(
      init,
      await this.plan(init.agentId),
      this.runner,
      this.services,
      { beforeBudgetMs: this.deps.actions.before_budget_ms },
      this.registry,
    );
    await session.refreshContact();
    return session;
  }

  /** Ends the call and queues its after-call actions in one transaction (see after-call.ts). */
  async endCall(session: ActionSession, end: CallEnd = {}): Promise<EndCallResult> {
    session.close('call ended');
    // After-call conditions and payloads see the contact as the call leaves it.
    await session.refreshContact();
    const result = await endCallWithOutbox(
      {
        store: this.deps.store,
        outbox: this.outbox,
        history: this.history,
        fallbackDisposition: this.deps.actions.fallback_disposition,
        maxAttempts: this.deps.outbox.max_attempts,
      },
      session,
      end,
    );
    if (result.queued.length) this.deps.onQueued?.();
    return result;
  }

  /** The outbox handler for `action` rows; give it to the OutboxWorker. */
  deliveryHandler(): DeliveryHandler {
    return new ActionDeliveryHandler(this.services, this.registry, this.runner, this.history);
  }
}
