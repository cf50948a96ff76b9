import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/store.js';
import type { Config } from '../config/schema.js';
import { createOutboxWorker } from '../delivery/outbox-service.js';
import type { OutboxWorker } from '../delivery/outbox-worker.js';
import type { DeliveryHandler } from '../delivery/delivery-handler.js';
import { createActionEngine, type ActionEngine } from './action-engine.js';
import type { ActionIntegrations, AnyActionType } from './action-type.js';

export interface ActionRuntime {
  engine: ActionEngine;
  worker: OutboxWorker;
  start(): void;
  stop(): Promise<void>;
}

/**
 * The engine and the outbox worker as the server runs them: after-call rows wake the worker, the
 * worker delivers `action` rows through the engine and `http` rows with the generic handler.
 */
export function createActionRuntime(
  store: Store,
  config: Config,
  logger: Logger,
  extra: {
    services?: ActionIntegrations;
    /** Types beyond the built-ins: the call layer's call-flow types (CallRuntime.actionTypes). */
    types?: readonly AnyActionType[];
    handlers?: DeliveryHandler[];
  } = {},
): ActionRuntime {
  const wake: { worker?: OutboxWorker } = {};
  const engine = createActionEngine({
    store,
    logger: logger.child({ component: 'actions' }),
    actions: config.actions,
    outbox: config.outbox,
    ...(extra.services ? { services: extra.services } : {}),
    ...(extra.types ? { types: extra.types } : {}),
    onQueued: () => wake.worker?.kick(),
  });
  const worker = createOutboxWorker({
    store,
    settings: config.outbox,
    logger,
    handlers: [engine.deliveryHandler(), ...(extra.handlers ?? [])],
    ...(extra.services?.tracing ? { tracing: extra.services.tracing } : {}),
  }).worker;
  wake.worker = worker;
  return {
    engine,
    worker,
    start: () => worker.start(),
    stop: () => worker.stop(),
  };
}
