import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { tempStore } from '../../helpers/temp.js';
import { Store } from '../../../src/store/store.js';
import { OutboxQueue } from '../../../src/delivery/outbox-queue.js';
import { OutboxRepository } from '../../../src/delivery/outbox-repository.js';
import { OutboxWorker, type DeliveryReport } from '../../../src/delivery/outbox-worker.js';
import type {
  DeliveryHandler,
  DeliveryJob,
  DeliveryOutcome,
} from '../../../src/delivery/delivery-handler.js';

const logger = pino({ level: 'silent' });
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An `http`-kind handler whose deliveries wait until the test settles them (a slow receiver). */
class GatedHandler implements DeliveryHandler {
  readonly kind = 'http';
  readonly started: DeliveryJob[] = [];
  private readonly gates: Array<{ resolve: (o: DeliveryOutcome) => void; reject: (e: Error) => void }> = [];

  deliver(job: DeliveryJob): Promise<DeliveryOutcome> {
    this.started.push(job);
    return new Promise((resolve, reject) => this.gates.push({ resolve, reject }));
  }
  succeed(result: unknown): void {
    this.gates.shift()!.resolve({ result });
  }
  fail(message: string): void {
    this.gates.shift()!.reject(new Error(message));
  }
}

const LEASE_MS = 5_000;

/** Two workers, each on its own connection to one SQLite file; B's clock runs past A's lease. */
async function twoWorkers() {
  const t = tempStore();
  const other = Store.open(t.store.db.name);
  cleanups.push(t.cleanup, () => other.close());
  const make = (store: Store, now: () => number) => {
    const handler = new GatedHandler();
    const reports: DeliveryReport[] = [];
    const repository = new OutboxRepository(store.sql, { backoffBaseMs: 10, backoffMaxMs: 20 });
    const worker = new OutboxWorker({
      repository,
      handlers: [handler],
      logger,
      now,
      settings: { pollIntervalMs: 10, leaseMs: LEASE_MS, concurrency: 4, deliveryTimeoutMs: 60_000 },
      onSettled: (r) => reports.push(r),
    });
    cleanups.push(() => worker.stop(100));
    return { handler, repository, worker, reports };
  };
  const a = make(t.store, Date.now);
  const b = make(other, () => Date.now() + LEASE_MS * 2);
  const queue = new OutboxQueue(t.store.sql, { maxAttempts: 5 });
  const id = await queue.enqueue({
    idempotencyKey: 'call_1:act_slow',
    kind: 'http',
    payload: { url: 'http://127.0.0.1:9/unused', body: {} },
  });
  return { a, b, id, repository: a.repository };
}

describe('a completion is accepted only from the claim that holds the row', () => {
  it('a worker whose lease expired and whose row was reclaimed cannot overwrite the newer claim with its failure', async () => {
    const { a, b, id, repository } = await twoWorkers();
    a.worker.start();
    await until(() => a.handler.started.length === 1);
    b.worker.start();
    await until(() => b.handler.started.length === 1);
    expect(await repository.get(id)).toMatchObject({
      status: 'processing',
      claimed_by: b.worker.id,
      attempts: 2,
    });

    // A's slow delivery finally fails; its outcome is written in A's next transaction (stop flushes).
    a.handler.fail('socket hang up');
    await a.worker.stop();
    expect(a.reports).toMatchObject([{ ok: false, superseded: true }]);
    expect(await repository.get(id)).toMatchObject({
      status: 'processing',
      claimed_by: b.worker.id,
      attempts: 2,
    });

    b.handler.succeed({ by: 'B' });
    await until(async () => (await repository.get(id))?.status === 'delivered');
    expect(await repository.get(id)).toMatchObject({ result: { by: 'B' }, attempts: 2, last_error: null });
    expect(b.reports).toMatchObject([{ ok: true }]);
    expect(b.reports[0]!.superseded).toBeUndefined();
  });

  it('a late success from the expired claim does not deliver the row the newer claim is delivering', async () => {
    const { a, b, id, repository } = await twoWorkers();
    a.worker.start();
    await until(() => a.handler.started.length === 1);
    b.worker.start();
    await until(() => b.handler.started.length === 1);

    a.handler.succeed({ by: 'A' });
    await a.worker.stop();
    expect(a.reports).toMatchObject([{ ok: true, superseded: true }]);
    expect(await repository.get(id)).toMatchObject({
      status: 'processing',
      claimed_by: b.worker.id,
      result: null,
    });

    b.handler.fail('HTTP 503');
    await until(async () => (await repository.get(id))?.status === 'pending');
    expect(await repository.get(id)).toMatchObject({ attempts: 2, last_error: 'HTTP 503', claimed_by: null });
  });
});
