/**
 * Rows only one node can deliver (a recording upload, a voicemail email: the file is on that node's
 * disk): another node's worker never claims them, their own node does, and rows not pinned go to
 * whichever node claims first. Real stores: a SQLite file, and a PostgreSQL database shared by two
 * repositories as two nodes share it.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../../src/store/store.js';
import { OutboxQueue } from '../../../src/delivery/outbox-queue.js';
import { OutboxRepository } from '../../../src/delivery/outbox-repository.js';
import { tempDir } from '../../helpers/temp.js';
import { testPostgresDatabase } from '../../helpers/postgres.js';

const RETRY = { backoffBaseMs: 10, backoffMaxMs: 20 };
const LEASE_MS = 60_000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sqliteStore(): Promise<Store> {
  const t = tempDir();
  const store = Store.open(path.join(t.dir, 'pinned.db'));
  cleanups.push(t.cleanup, () => store.close());
  return store;
}

async function postgresStore(): Promise<Store> {
  const store = await Store.connect({ url: await testPostgresDatabase('pinned') });
  cleanups.push(() => store.close());
  return store;
}

describe.each([
  ['SQLite', sqliteStore],
  ['PostgreSQL', postgresStore],
])('pinned outbox rows on %s', (_engine, open) => {
  it('are claimed only by their node; unpinned rows by any', async () => {
    const store = await open();
    store.nodeId = 'node-a';
    const queue = new OutboxQueue(store.sql, { maxAttempts: 3 }, Date.now, undefined, () => store.nodeId);
    const payload = { url: 'http://127.0.0.1:9/x', method: 'POST' as const, body: {} };
    const pinned = await queue.enqueue({
      idempotencyKey: 'pinned',
      kind: 'http',
      payload,
      pinned: true,
    } as never);
    const free = await queue.enqueue({ idempotencyKey: 'free', kind: 'http', payload });
    expect(
      (await store.sql.get<{ node_id: string | null }>('SELECT node_id FROM outbox WHERE id = ?', [pinned]))
        ?.node_id,
    ).toBe('node-a');

    const onB = new OutboxRepository(store.sql, RETRY, Math.random, () => 'node-b');
    const onA = new OutboxRepository(store.sql, RETRY, Math.random, () => 'node-a');
    const claimedByB = await onB.completeAndClaim(Date.now(), 10, 'worker-b', LEASE_MS);
    expect(claimedByB.map((r) => r.id)).toEqual([free]);
    const claimedByA = await onA.completeAndClaim(Date.now(), 10, 'worker-a', LEASE_MS);
    expect(claimedByA.map((r) => r.id)).toEqual([pinned]);
  });
});
