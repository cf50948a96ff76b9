/**
 * `start` on the store `data.postgres_url` names: several nodes share one real PostgreSQL database (on the
 * run's server, test/helpers/postgres.ts), so the first API key is created once however many nodes start
 * together.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { startServer, type RunningServer } from '../../../src/server.js';
import { dataPaths } from '../../../src/config/load.js';
import type { Io } from '../../../src/cli/context.js';
import { tempDir, testConfig } from '../../helpers/temp.js';
import { testPostgresDatabase } from '../../helpers/postgres.js';
import { captureIo as capture } from './cli-harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A node with its own data dir (speech cache, recordings) on the shared database at `url`. */
async function startNode(url: string, io: Io): Promise<RunningServer> {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const server = await startServer(testConfig(t.dir, { data: { postgres_url: url } }), { io });
  cleanups.push(() => server.stop());
  return server;
}

const keysPrinted = (lines: string[]): string[] => lines.flatMap((l) => /API key: (\S+)/.exec(l)?.[1] ?? []);

describe('start with data.postgres_url', () => {
  it('two nodes starting together on an empty database create one API key, which both accept', async () => {
    const url = await testPostgresDatabase('start');
    const [a, b] = [capture(), capture()];
    const nodes = await Promise.all([startNode(url, a.io), startNode(url, b.io)]);
    const keys = [...keysPrinted(a.out), ...keysPrinted(b.out)];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^cwk_/);
    for (const node of nodes) {
      expect(existsSync(dataPaths(node.config).database)).toBe(false);
      const res = await fetch(`${node.apiUrl}/agents`, { headers: { authorization: `Bearer ${keys[0]}` } });
      expect(res.status).toBe(200);
    }
    // The database is named without its URL, which may hold a password.
    expect(a.err.join('\n') + b.err.join('\n')).not.toContain(url);

    // A node that starts later finds the key and prints none.
    const c = capture();
    await startNode(url, c.io);
    expect(keysPrinted(c.out)).toEqual([]);
  });
});
