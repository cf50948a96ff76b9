import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { startServer, type RunningServer } from '../../../src/server.js';
import type { Io } from '../../../src/cli/context.js';
import { tempDir, testConfig } from '../../helpers/temp.js';
import { captureIo as capture } from './cli-harness.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(dir: string, io: Io): Promise<RunningServer> {
  const server = await startServer(testConfig(dir), { io });
  cleanups.push(() => server.stop());
  return server;
}

describe('start on an empty data dir', () => {
  it('creates the database, prints an API key once, and answers /health and the API with that key', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const first = capture();
    const server = await start(t.dir, first.io);
    const keyLines = first.out.filter((l) => l.includes('API key:'));
    expect(keyLines).toHaveLength(1);
    const token = /API key: (\S+)/.exec(keyLines[0] as string)?.[1] as string;
    expect(token).toMatch(/^cwk_/);
    expect(existsSync(server.store.db.name)).toBe(true);

    expect(await (await fetch(`${server.apiUrl}/health`)).json()).toEqual({ status: 'ok' });
    const agents = await fetch(`${server.apiUrl}/agents`, { headers: { authorization: `Bearer ${token}` } });
    expect(agents.status).toBe(200);
    expect((await fetch(`${server.apiUrl}/agents`)).status).toBe(401);
    await server.stop();

    // A second start finds the key and prints none.
    const second = capture();
    const again = await start(t.dir, second.io);
    expect(second.out.join('\n')).not.toContain('API key');
    const ok = await fetch(`${again.apiUrl}/agents`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
  });
});
