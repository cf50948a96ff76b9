/**
 * The CLI on the store `data.postgres_url` names: a real throw-away PostgreSQL cluster, the CLI called
 * in-process with a config file that points at it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { main } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/context.js';
import { Store } from '../../../src/store/store.js';
import { tempDir } from '../../helpers/temp.js';
import { startPostgres, type ThrowawayPostgres } from '../../helpers/throwaway-postgres.js';

// The port block of this file: 62990-62999.
const PG_PORT = 62990;

let postgres: ThrowawayPostgres;
const dir = tempDir();
beforeAll(async () => {
  postgres = await startPostgres(PG_PORT);
}, 90_000);
afterAll(async () => {
  await postgres?.stop();
  dir.cleanup();
});

/** Runs the CLI with a config whose data.postgres_url is `url` (data.dir stays empty: no SQLite file). */
async function cli(url: string, ...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const configFile = path.join(dir.dir, 'local.yaml');
  writeFileSync(
    configFile,
    `data:\n  dir: ${JSON.stringify(dir.dir)}\n  postgres_url: ${JSON.stringify(url)}\nlog:\n  level: silent\n`,
  );
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), tty: false };
  const code = await main(['node', 'callwright', '--config', configFile, ...args], io);
  return { code, out, err };
}

describe('the CLI with data.postgres_url', () => {
  it('lists and shows the agents stored in PostgreSQL, not in a SQLite file', async () => {
    const url = await postgres.createDatabase('cli_agents');
    const store = await Store.connect({ url });
    try {
      const agent = await store.agents.create({
        name: 'front-desk',
        kind: 'scripted',
        description: 'reception',
      });
      await store.agents.create({ name: 'collections', kind: 'webhook' });
      await store.numbers.create({ number: '+14155550199', agent_id: agent.id });
      const action = await store.actions.create({ name: 'log-crm', type: 'http', config: {} });
      await store.attachments.create({
        agent_id: agent.id,
        action_id: action.id,
        stage: 'after',
        position: 0,
      });
    } finally {
      await store.close();
    }

    const listed = await cli(url, 'agents', 'list');
    expect(listed.err).toEqual([]);
    expect(listed.code).toBe(0);
    expect(listed.out.map((l) => l.split('\t').slice(1, 3))).toEqual([
      ['collections', 'webhook'],
      ['front-desk', 'scripted'],
    ]);
    const shown = await cli(url, 'agents', 'show', 'front-desk');
    expect(shown.code).toBe(0);
    expect(parse(shown.out.join('\n'))).toMatchObject({
      name: 'front-desk',
      numbers: ['+14155550199'],
      actions: [{ stage: 'after', position: 0, action: 'log-crm', type: 'http' }],
    });
  });

  it('a listing command refuses a database without the schema and names callwright migrate', async () => {
    const url = await postgres.createDatabase('cli_empty');
    const res = await cli(url, 'agents', 'list');
    expect(res.code).toBe(1);
    expect(res.out).toEqual([]);
    expect(res.err.join('\n')).toMatch(
      /database schema version 0 is older than this build's .*run callwright migrate/,
    );
    // It did not create the schema: a second look still finds none.
    expect((await cli(url, 'actions', 'types')).code).toBe(1);
  });
});
