import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { tempStore } from '../../helpers/temp.js';
import { OutboxQueue } from '../../../src/delivery/outbox-queue.js';
import { createOutboxWorker } from '../../../src/delivery/outbox-service.js';
import type { OutboxWorker } from '../../../src/delivery/outbox-worker.js';
import { backoffDelay } from '../../../src/util/backoff.js';
import { OutboxRepository, type Completion } from '../../../src/delivery/outbox-repository.js';
import { OutboxWorker as Worker } from '../../../src/delivery/outbox-worker.js';
import { HttpDeliveryHandler } from '../../../src/delivery/http-delivery.js';
import { startReceiver } from './receiver.js';

const logger = pino({ level: 'silent' });
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const settings = {
  poll_interval_ms: 10,
  lease_ms: 1000,
  max_attempts: 3,
  backoff_base_ms: 10,
  backoff_max_ms: 40,
  concurrency: 8,
  delivery_timeout_ms: 2000,
};

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function setup(overrides: Partial<typeof settings> = {}) {
  const t = tempStore();
  cleanups.push(t.cleanup);
  const queue = new OutboxQueue(t.store.sql, {
    maxAttempts: overrides.max_attempts ?? settings.max_attempts,
  });
  const { worker, repository } = createOutboxWorker({
    store: t.store,
    settings: { ...settings, ...overrides },
    logger,
  });
  cleanups.push(() => worker.stop());
  return { ...t, queue, worker: worker as OutboxWorker, repository };
}

describe('backoff', () => {
  it('grows exponentially, is capped, and jitters within [half, full]', () => {
    expect(backoffDelay(1, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelay(1, 100, 10_000, () => 1)).toBe(100);
    expect(backoffDelay(4, 100, 10_000, () => 1)).toBe(800);
    expect(backoffDelay(20, 100, 10_000, () => 1)).toBe(10_000);
  });
});

describe('outbox worker', () => {
  it('delivers with the idempotency key header; enqueue of the same key twice makes one row', async () => {
    const rx = await startReceiver();
    cleanups.push(rx.close);
    const o = setup();
    const id = await o.queue.enqueue({
      idempotencyKey: 'call_1:act_1',
      kind: 'http',
      payload: { url: `${rx.url}/hook`, body: { a: 1 } },
    });
    expect(
      await o.queue.enqueue({
        idempotencyKey: 'call_1:act_1',
        kind: 'http',
        payload: { url: `${rx.url}/hook`, body: { a: 2 } },
      }),
    ).toBe(id);
    o.worker.start();
    await until(async () => (await o.repository.get(id))?.status === 'delivered');
    expect(rx.requests).toHaveLength(1);
    expect(rx.requests[0]).toMatchObject({ key: 'call_1:act_1', body: { a: 1 } });
    expect(await o.repository.get(id)).toMatchObject({
      attempts: 1,
      result: { status: 200 },
      last_error: null,
    });
  });

  it('retries 5xx with backoff, dead-letters after the last attempt, and replay delivers it', async () => {
    let fail = true;
    const rx = await startReceiver(() => (fail ? 503 : 200));
    cleanups.push(rx.close);
    const o = setup();
    const id = await o.queue.enqueue({
      idempotencyKey: 'k-retry',
      kind: 'http',
      payload: { url: rx.url, body: {} },
    });
    o.worker.start();
    await until(async () => (await o.repository.get(id))?.status === 'dead');
    expect(rx.requests).toHaveLength(3);
    expect(await o.repository.get(id)).toMatchObject({
      attempts: 3,
      last_error: expect.stringContaining('HTTP 503'),
    });
    fail = false;
    await o.repository.replay(id);
    o.worker.kick();
    await until(async () => (await o.repository.get(id))?.status === 'delivered');
    expect(rx.requests.map((r) => r.key)).toEqual(['k-retry', 'k-retry', 'k-retry', 'k-retry']);
    await expect(o.repository.replay(id)).rejects.toThrow(/only dead rows/);
  });

  it('dead-letters a 4xx at once (retrying cannot fix it); replayAllDead puts every dead row back', async () => {
    const rx = await startReceiver(() => 422);
    cleanups.push(rx.close);
    const o = setup();
    const ids = await o.queue.enqueueMany(
      ['a', 'b'].map((k) => ({
        idempotencyKey: k,
        kind: 'http' as const,
        payload: { url: rx.url, body: {} },
      })),
    );
    o.worker.start();
    await until(async () => (await o.repository.counts()).dead === ids.length);
    expect(rx.requests).toHaveLength(2);
    await o.worker.stop();
    expect(await o.repository.replayAllDead()).toBe(2);
    expect(await o.repository.counts()).toMatchObject({ pending: 2, dead: 0 });
  });

  it('reclaims rows left processing by a worker that died, after the lease', async () => {
    const rx = await startReceiver();
    cleanups.push(rx.close);
    const o = setup();
    const id = await o.queue.enqueue({
      idempotencyKey: 'orphan',
      kind: 'http',
      payload: { url: rx.url, body: {} },
    });
    // Another worker claimed it and vanished.
    const claimed = await o.repository.completeAndClaim(Date.now(), 10, 'dead-worker', 1000);
    expect(claimed.map((r) => r.id)).toEqual([id]);
    o.worker.start();
    await new Promise((r) => setTimeout(r, 300));
    expect((await o.repository.get(id))?.status).toBe('processing');
    await until(async () => (await o.repository.get(id))?.status === 'delivered');
    expect((await o.repository.get(id))?.attempts).toBe(2);
  });

  it('keeps running (and keeps finished deliveries) when a transaction fails', async () => {
    const rx = await startReceiver();
    cleanups.push(rx.close);
    const o = setup();
    let failures = 0;
    class FlakyRepository extends OutboxRepository {
      override completeAndClaim(
        now: number,
        limit: number,
        worker: string,
        lease: number,
        done: Completion[] = [],
      ) {
        if (done.length > 0 && failures < 2) {
          failures++;
          throw new Error('SQLITE_BUSY: database is locked');
        }
        return super.completeAndClaim(now, limit, worker, lease, done);
      }
    }
    const repository = new FlakyRepository(o.store.sql, { backoffBaseMs: 10, backoffMaxMs: 40 });
    const worker = new Worker({
      repository,
      handlers: [new HttpDeliveryHandler()],
      logger,
      settings: { pollIntervalMs: 10, leaseMs: 60_000, concurrency: 4, deliveryTimeoutMs: 2000 },
    });
    cleanups.push(() => worker.stop());
    const id = await o.queue.enqueue({
      idempotencyKey: 'busy',
      kind: 'http',
      payload: { url: rx.url, body: {} },
    });
    worker.start();
    await until(async () => (await repository.get(id))?.status === 'delivered');
    expect(failures).toBe(2);
    // The completion survived the failed transactions: one delivery, not a redelivery after the lease.
    expect(rx.requests).toHaveLength(1);
  });

  it('a lease that expires on the last attempt dead-letters the row and releases the next in its chain', async () => {
    const rx = await startReceiver();
    cleanups.push(rx.close);
    const o = setup();
    const first = await o.queue.enqueue({
      idempotencyKey: 'c:1',
      kind: 'http',
      maxAttempts: 1,
      nextKey: 'c:2',
      onDead: 'continue',
      payload: { url: rx.url, body: {} },
    });
    const second = await o.queue.enqueue({
      idempotencyKey: 'c:2',
      kind: 'http',
      blocked: true,
      payload: { url: rx.url, body: {} },
    });
    const claimed = await o.repository.completeAndClaim(Date.now(), 10, 'dead-worker', 1000);
    expect(claimed.map((r) => r.id)).toEqual([first]);
    o.worker.start();
    await until(async () => (await o.repository.get(second))?.status === 'delivered');
    expect(await o.repository.get(first)).toMatchObject({
      status: 'dead',
      last_error: expect.stringMatching(/^lease expired/),
    });
    expect(rx.requests.map((r) => r.key)).toEqual(['c:2']);
  });
});
