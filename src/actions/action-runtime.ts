import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/store.js';
import type { Config } from '../config/schema.js';
import { createOutboxWorker } from '../delivery/outbox-service.js';
import type { OutboxWorker } from '../delivery/outbox-worker.js';
import type { DeliveryHandler } from '../delivery/delivery-handler.js';
import { ActionEngine } from './action-engine.js';

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
  extra: { services?: Record<string, unknown>; handlers?: DeliveryHandler[] } = {},
): ActionRuntime {
  const wake: { worker?: OutboxWorker } = {};
  const engine = new ActionEngine({
    store,
    logger: logger.child({ component: 'actions' }),
    actions: config.actions,
    outbox: config.outbox,
    services: extra.services,
    onQueued: () => wake.worker?.kick(),
  });
  const worker = createOutboxWorker({
    store,
    settings: config.outbox,
    logger,
    handlers: [engine.deliveryHandler(), ...(extra.handlers ?? [])],
  }).worker;
  wake.worker = worker;
  return {
    engine,
    worker,
    start: () => worker.start(),
    stop: () => worker.stop(),
  };
}
