import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import pino from 'pino';
import { tempDir, tempStore } from '../../helpers/temp.js';
import { openDatabase } from '../../../src/store/database.js';
import * as m001 from '../../../src/store/migrations/001-domain.js';
import { Store } from '../../../src/store/store.js';
import { OutboxQueue } from '../../../src/delivery/outbox-queue.js';
import { createOutboxWorker } from '../../../src/delivery/outbox-service.js';
import { startReceiver } from './receiver.js';
import { integrationFixture } from '../integrations/integration-fixture.js';

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
  concurrency: 4,
  delivery_timeout_ms: 2000,
};

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function workerOn(store: Store) {
  const { worker, repository } = createOutboxWorker({ store, settings, logger });
  cleanups.push(() => worker.stop());
  return { worker, repository };
}

describe('stored payloads are decoded per kind', () => {
  it('a stored payload missing a field dead-letters its own row at once, naming the field, and the chain moves on', async () => {
    const rx = await startReceiver();
    cleanups.push(rx.close);
    const t = tempStore();
    cleanups.push(t.cleanup);
    const queue = new OutboxQueue(t.store.sql, { maxAttempts: 3 });
    const first = await queue.enqueue({
      idempotencyKey: 'c:1',
      kind: 'http',
      nextKey: 'c:2',
      payload: { url: `${rx.url}/one`, body: 1 },
    });
    const second = await queue.enqueue({
      idempotencyKey: 'c:2',
      kind: 'http',
      blocked: true,
      payload: { url: `${rx.url}/two`, body: 2 },
    });
    // Written by an older build, or edited by hand: the URL is gone.
    t.store.db.prepare(`UPDATE outbox SET payload = '{"body":1}' WHERE id = ?`).run(first);
    const { worker, repository } = workerOn(t.store);
    worker.start();
    await until(async () => (await repository.get(second))?.status === 'delivered');
    expect(await repository.get(first)).toMatchObject({
      status: 'dead',
      attempts: 1,
      last_error:
        'stored http payload does not match its type: payload.url: missing, expected a value (required)',
    });
    expect(rx.requests.map((r) => r.key)).toEqual(['c:2']);
  });

  it('a payload that is not JSON fails its row and the worker keeps delivering the others', async () => {
    const rx = await startReceiver();
    cleanups.push(rx.close);
    const t = tempStore();
    cleanups.push(t.cleanup);
    const queue = new OutboxQueue(t.store.sql, { maxAttempts: 3 });
    const broken = await queue.enqueue({
      idempotencyKey: 'broken',
      kind: 'http',
      payload: { url: rx.url, body: 0 },
    });
    t.store.db.prepare(`UPDATE outbox SET payload = '{"url": "http://' WHERE id = ?`).run(broken);
    const good = await queue.enqueue({
      idempotencyKey: 'good',
      kind: 'http',
      payload: { url: rx.url, body: 1 },
    });
    const { worker, repository } = workerOn(t.store);
    worker.start();
    await until(async () => (await repository.get(good))?.status === 'delivered');
    expect(await repository.get(broken)).toMatchObject({
      status: 'dead',
      attempts: 1,
      last_error: expect.stringMatching(/^payload: got .*, expected JSON text/),
    });
    // Listing shows the damaged row (its text) instead of failing.
    expect((await repository.list({ status: 'dead' })).items[0]?.payload).toBe('{"url": "http://');
  });
});

describe('migration 002: chain fields move from the payload into columns', () => {
  it("moves run id, next key, on-dead policy, prior outputs and the blocked marker out of existing rows' JSON", async () => {
    const rx = await startReceiver();
    cleanups.push(rx.close);
    const t = tempDir();
    cleanups.push(t.cleanup);
    const file = path.join(t.dir, 'v1.db');
    // A database as version 1 wrote it, with an ordered chain in flight.
    const v1 = openDatabase(file, { migrate: false });
    v1.exec(m001.up);
    v1.pragma('user_version = 1');
    const insert = v1.prepare(
      `INSERT INTO outbox (idempotency_key, kind, payload, next_attempt_at, created_at) VALUES (?, 'http', ?, ?, ?)`,
    );
    const created = '2026-12-01T10:00:00.000Z';
    insert.run(
      'k1',
      JSON.stringify({ url: `${rx.url}/1`, body: 1, run_id: 'run_1', next_key: 'k2', on_dead: 'abort' }),
      Date.now(),
      created,
    );
    insert.run(
      'k2',
      JSON.stringify({ url: `${rx.url}/2`, body: 2, prior: { crm: { id: 7 } } }),
      8_640_000_000_000_000,
      created,
    );
    insert.run('k3', 'not json at all', Date.now(), created);
    v1.close();

    const store = Store.open(file);
    cleanups.push(() => store.close());
    const { worker, repository } = workerOn(store);
    const rows = (await repository.list({})).items.sort((a, b) => a.id - b.id);
    expect(rows[0]).toMatchObject({
      run_id: 'run_1',
      next_key: 'k2',
      on_dead: 'abort',
      blocked: false,
      prior: {},
      payload: { url: `${rx.url}/1`, body: 1 },
    });
    expect(rows[1]).toMatchObject({
      run_id: null,
      next_key: null,
      on_dead: 'continue',
      blocked: true,
      prior: { crm: { id: 7 } },
      next_attempt_at: Date.parse(created),
      payload: { url: `${rx.url}/2`, body: 2 },
    });
    expect(rows[2]).toMatchObject({ payload: 'not json at all', blocked: false, on_dead: 'continue' });

    worker.start();
    const settled = async (): Promise<boolean> => {
      for (const r of rows) {
        const status = (await repository.get(r.id))!.status;
        if (status !== 'delivered' && status !== 'dead') return false;
      }
      return true;
    };
    await until(settled);
    expect(rx.requests.map((r) => r.key)).toEqual(['k1', 'k2']);
    expect(await repository.get(rows[2]!.id)).toMatchObject({ status: 'dead' });
  });
});

describe('an after-call action row whose stored payload does not match', () => {
  it('dead-letters naming the field, fails its run with the same reason, and releases the next action', async () => {
    const rx = await startReceiver();
    cleanups.push(rx.close);
    const fx = await integrationFixture();
    cleanups.push(() => fx.cleanup());
    await fx.attach('first', 'webhook', { url: `${rx.url}/first` }, 'after');
    await fx.attach('second', 'webhook', { url: `${rx.url}/second` }, 'after');
    const call = await fx.call();
    const session = await fx.engine.session({ agentId: fx.agent.id, callId: call.id, from: '+14155550100' });
    const [first, second] = (await fx.engine.endCall(session)).queued;
    fx.store.db
      .prepare(`UPDATE outbox SET payload = json_remove(payload, '$.agent_id') WHERE id = ?`)
      .run(first);
    const { worker, repository } = fx.worker();
    worker.start();
    await until(async () => (await repository.get(second!))?.status === 'delivered');
    const error =
      'stored action payload does not match its type: payload.agent_id: missing, expected a value (required)';
    const firstRow = (await repository.get(first!))!;
    expect(firstRow).toMatchObject({ status: 'dead', last_error: error });
    const runs = (await fx.engine.history.list({ callId: call.id })).items;
    const run = runs.find((r) => r.id === firstRow.run_id)!;
    expect(run).toMatchObject({ status: 'failed', error });
    expect(rx.requests.map((r) => r.key)).toEqual([`${call.id}:${(await repository.get(second!))!.run_id}`]);
  });
});
