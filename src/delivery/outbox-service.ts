import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/store.js';
import type { OutboxSettings } from '../config/schema.js';
import { OutboxRepository } from './outbox-repository.js';
import { OutboxWorker, type DeliveryReport, type OutboxWorkerDeps } from './outbox-worker.js';
import type { DeliveryHandler } from './delivery-handler.js';
import { HttpDeliveryHandler } from './http-delivery.js';
import type { Tracing } from '../observability/tracing.js';

/** Builds the repository and worker from the `outbox` config section, with the generic `http` handler. */
export function createOutboxWorker(options: {
  store: Store;
  settings: OutboxSettings;
  logger: Logger;
  handlers?: readonly DeliveryHandler[];
  onSettled?: (report: DeliveryReport) => void;
  onFlush?: OutboxWorkerDeps['onFlush'];
  tracing?: Tracing;
}): { worker: OutboxWorker; repository: OutboxRepository } {
  const { settings } = options;
  const repository = new OutboxRepository(
    options.store.sql,
    { backoffBaseMs: settings.backoff_base_ms, backoffMaxMs: settings.backoff_max_ms },
    Math.random,
    () => options.store.nodeId,
  );
  const handlers = [...(options.handlers ?? [])];
  if (!handlers.some((h) => h.kind === 'http')) {
    handlers.push(
      new HttpDeliveryHandler({
        maxSockets: settings.concurrency,
        ...(options.tracing ? { tracing: options.tracing } : {}),
      }),
    );
  }
  const worker = new OutboxWorker({
    repository,
    handlers,
    logger: options.logger.child({ component: 'outbox' }),
    settings: {
      pollIntervalMs: settings.poll_interval_ms,
      leaseMs: settings.lease_ms,
      concurrency: settings.concurrency,
      deliveryTimeoutMs: settings.delivery_timeout_ms,
    },
    onSettled: options.onSettled,
    onFlush: options.onFlush,
    ...(options.tracing ? { tracing: options.tracing } : {}),
  });
  return { worker, repository };
}
