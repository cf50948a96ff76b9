import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempStore } from '../../helpers/temp.js';
import { OutboxQueue } from '../../../src/delivery/outbox-queue.js';
import { startReceiver } from './receiver.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'worker-child.ts');
const ROWS = 500;
const KILLS = 6;
const children: ChildProcess[] = [];
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c();
});

function startChild(db: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker child did not start within 20 s')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on(
      'exit',
      (code) => (
        clearTimeout(timer),
        code !== null && code !== 0 && reject(new Error(`child exited ${code}`))
      ),
    );
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('outbox crash safety', () => {
  it('delivers every row exactly-once in effect across SIGKILLs at random points and restarts', async () => {
    // A receiver slow enough (15 ms per request) that kills land mid-batch with requests in flight.
    const rx = await startReceiver();
    const slow = await startReceiverWithDelay(rx.url, 15);
    cleanups.push(rx.close, slow.close);
    const t = tempStore();
    cleanups.push(t.cleanup);
    const queue = new OutboxQueue(t.store.sql, { maxAttempts: 50 });
    await queue.enqueueMany(
      Array.from({ length: ROWS }, (_, i) => ({
        idempotencyKey: `call_${i}:act_crash`,
        kind: 'http' as const,
        payload: { url: slow.url, body: { n: i } },
      })),
    );
    const dbFile = t.store.db.name;
    const count = (status: string) =>
      (t.store.db.prepare('SELECT count(*) AS n FROM outbox WHERE status = ?').get(status) as { n: number })
        .n;

    const killedAt: number[] = [];
    for (let k = 0; k < KILLS && count('delivered') < ROWS; k++) {
      const child = await startChild(dbFile);
      await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 350)));
      await killed(child);
      killedAt.push(count('delivered'));
    }
    expect(killedAt.length).toBeGreaterThanOrEqual(3);
    // Killed with rows still claimed: the restarted worker must reclaim them after the lease.
    const final = await startChild(dbFile);
    const deadline = Date.now() + 40_000;
    while (count('delivered') < ROWS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await killed(final);

    expect(count('delivered')).toBe(ROWS);
    expect(count('dead')).toBe(0);
    const keys = new Set(rx.requests.map((r) => r.key));
    expect(keys.size).toBe(ROWS);
    expect(rx.effects.size).toBe(ROWS);
    // At least once: redeliveries happen after kills, and carry the same key, so effects stay single.
    expect(rx.requests.length).toBeGreaterThanOrEqual(ROWS);
    console.log(
      `crash test: ${killedAt.length} kills (delivered before each kill: ${killedAt.join(', ')}); ` +
        `${rx.requests.length} requests for ${ROWS} rows (${rx.requests.length - ROWS} redeliveries), ${rx.effects.size} effects`,
    );
  }, 90_000);
});

/** A forwarding proxy that delays each request, so the worker has deliveries in flight when killed. */
async function startReceiverWithDelay(target: string, delayMs: number) {
  const http = await import('node:http');
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      setTimeout(() => {
        const out = http.request(target, { method: 'POST', headers: req.headers }, (r) => {
          r.resume();
          r.on('end', () => res.writeHead(r.statusCode ?? 502).end('{}'));
        });
        out.on('error', () => res.writeHead(502).end());
        out.end(Buffer.concat(chunks));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => server.close(() => resolve())).then(() => server.closeAllConnections()),
  };
}
