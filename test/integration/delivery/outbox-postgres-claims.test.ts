/**
 * Outbox claims with several nodes on one PostgreSQL database with the real schema (the run's server,
 * test/helpers/postgres.ts): each node is its own Store and connection pool, as separate server
 * processes would be. Without PostgreSQL the tests fail with the reason; they are never skipped.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../../src/store/sql/sql-database.js';
import { Store } from '../../../src/store/store.js';
import { OutboxQueue } from '../../../src/delivery/outbox-queue.js';
import {
  OutboxRepository,
  type Completion,
  type OutboxRow,
} from '../../../src/delivery/outbox-repository.js';
import pino from 'pino';
import { OutboxWorker } from '../../../src/delivery/outbox-worker.js';
import { HttpDeliveryHandler } from '../../../src/delivery/http-delivery.js';
import { testPostgresDatabase } from '../../helpers/postgres.js';
import { startReceiver } from './receiver.js';

const LEASE_MS = 5_000;
const RETRY = { backoffBaseMs: 10, backoffMaxMs: 20 };

let url: string;
let first: Store | undefined;
const nodes: Store[] = [];

/** `count` nodes on this file's database, its outbox emptied first; returns their SQL connections. */
async function outboxNodes(count: number): Promise<SqlDatabase[]> {
  await first!.sql.exec('TRUNCATE outbox RESTART IDENTITY');
  for (let i = 0; i < count; i++) nodes.push(await Store.connect({ url, poolSize: 4, migrate: false }));
  return nodes.map((n) => n.sql);
}

async function enqueue(sql: SqlDatabase, n: number, url = 'http://127.0.0.1:9/unused'): Promise<number[]> {
  const queue = new OutboxQueue(sql, { maxAttempts: 5 });
  return queue.enqueueMany(
    Array.from({ length: n }, (_, i) => ({
      idempotencyKey: `call_${i}:act_pg`,
      kind: 'http' as const,
      payload: { url, body: { n: i } },
    })),
  );
}

async function until(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const succeeded = (row: OutboxRow): Completion => ({
  id: row.id,
  ok: true,
  result: { by: row.claimed_by },
  row,
});

/** Rejects when `work` takes longer than `ms` (a claim that waits on another node's locks). */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

describe('outbox claims on PostgreSQL shared by several nodes', () => {
  beforeAll(async () => {
    url = await testPostgresDatabase('outbox');
    first = await Store.connect({ url, poolSize: 2 });
  });
  afterEach(async () => {
    await Promise.allSettled(nodes.splice(0).map((n) => n.close()));
  });
  afterAll(async () => {
    await first?.close();
  });

  it('four nodes claiming at once take every row exactly once, and each completes only its own', async () => {
    const nodes = await outboxNodes(4);
    const ids = await enqueue(nodes[0]!, 300);
    const claimedBy = new Map<number, string[]>();
    const superseded: number[] = [];
    await Promise.all(
      nodes.map(async (sql, i) => {
        const repo = new OutboxRepository(sql, RETRY);
        const worker = `node_${i}`;
        let done: Completion[] = [];
        for (;;) {
          const claimed = await repo.completeAndClaim(Date.now(), 7, worker, LEASE_MS, done, (s) =>
            superseded.push(...s),
          );
          if (claimed.length === 0 && done.length === 0) break;
          for (const row of claimed) claimedBy.set(row.id, [...(claimedBy.get(row.id) ?? []), worker]);
          done = claimed.map(succeeded);
        }
      }),
    );
    expect(superseded).toEqual([]);
    expect([...claimedBy.keys()].sort((a, b) => a - b)).toEqual(ids);
    expect([...claimedBy.values()].filter((by) => by.length !== 1)).toEqual([]);
    // More than one node did the work: the claims really ran side by side.
    expect(new Set([...claimedBy.values()].map((by) => by[0])).size).toBeGreaterThan(1);
    const rows = await nodes[0]!.all<{ status: string; attempts: number; result: string }>(
      'SELECT status, attempts, result FROM outbox',
    );
    expect(rows.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);
  }, 60_000);

  it('three workers on three nodes deliver every row once to a real receiver', async () => {
    const rx = await startReceiver();
    const nodes = await outboxNodes(3);
    try {
      await enqueue(nodes[0]!, 150, `${rx.url}/hook`);
      const workers = nodes.map(
        (sql) =>
          new OutboxWorker({
            repository: new OutboxRepository(sql, RETRY),
            handlers: [new HttpDeliveryHandler()],
            logger: pino({ level: 'silent' }),
            settings: { pollIntervalMs: 10, leaseMs: 60_000, concurrency: 8, deliveryTimeoutMs: 5_000 },
          }),
      );
      for (const w of workers) w.start();
      const delivered = async (): Promise<boolean> => {
        const row = await nodes[0]!.get<{ n: number }>(
          "SELECT count(*) AS n FROM outbox WHERE status = 'delivered'",
        );
        return row?.n === 150;
      };
      await until(delivered);
      for (const w of workers) await w.stop();
      expect(rx.requests).toHaveLength(150);
      expect(rx.effects.size).toBe(150);
      const by = await nodes[0]!.all<{ claimed_by: string }>('SELECT DISTINCT claimed_by FROM outbox');
      expect(by.length).toBeGreaterThan(1);
    } finally {
      await rx.close();
    }
  }, 60_000);

  it("a claim skips rows another node's open claim holds instead of waiting for them", async () => {
    const [a, b] = await outboxNodes(2);
    await enqueue(a!, 10);
    const repoA = new OutboxRepository(a!, RETRY);
    const repoB = new OutboxRepository(b!, RETRY);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let heldRows: OutboxRow[] = [];
    let transactionA!: Promise<void>;
    const claimedA = new Promise<void>((resolve) => {
      // Node A's claim transaction stays open (locks held) while node B claims.
      transactionA = a!.transaction(async () => {
        heldRows = await repoA.completeAndClaim(Date.now(), 4, 'node_a', LEASE_MS);
        resolve();
        await held;
      });
    });
    await claimedA;
    let rowsB: OutboxRow[];
    try {
      rowsB = await within(5_000, repoB.completeAndClaim(Date.now(), 100, 'node_b', LEASE_MS));
    } finally {
      release();
    }
    expect(heldRows).toHaveLength(4);
    expect(rowsB).toHaveLength(6);
    const heldIds = new Set(heldRows.map((r) => r.id));
    expect(rowsB.filter((r) => heldIds.has(r.id))).toEqual([]);
    // A's transaction ends (a serialization retry included) before its pool closes.
    await transactionA;
  });

  it("a slow node's completion after its lease expired and another node reclaimed the row is refused", async () => {
    const [a, b] = await outboxNodes(2);
    const [id] = await enqueue(a!, 1);
    const repoA = new OutboxRepository(a!, RETRY);
    const repoB = new OutboxRepository(b!, RETRY);
    const t0 = Date.now();
    const [rowA] = await repoA.completeAndClaim(t0, 10, 'node_a', LEASE_MS);
    expect(rowA).toMatchObject({ id, claimed_by: 'node_a', attempts: 1 });
    // Node B's clock is past A's lease: it takes the row back and claims it again.
    const [rowB] = await repoB.completeAndClaim(t0 + LEASE_MS * 2, 10, 'node_b', LEASE_MS);
    expect(rowB).toMatchObject({ id, claimed_by: 'node_b', attempts: 2 });

    let refused: number[] = [];
    await repoA.completeAndClaim(t0 + 1, 0, 'node_a', LEASE_MS, [succeeded(rowA!)], (ids) => (refused = ids));
    expect(refused).toEqual([id]);
    expect(await repoA.get(id!)).toMatchObject({ status: 'processing', claimed_by: 'node_b', result: null });

    await repoB.completeAndClaim(t0 + LEASE_MS * 2 + 1, 0, 'node_b', LEASE_MS, [succeeded(rowB!)]);
    expect(await repoA.get(id!)).toMatchObject({
      status: 'delivered',
      attempts: 2,
      result: { by: 'node_b' },
    });
  });
});
