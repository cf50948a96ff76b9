/**
 * The CLI on the store `data.postgres_url` names: a database on the run's PostgreSQL server
 * (test/helpers/postgres.ts), the CLI called in-process with a config file that points at it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Store } from '../../../src/store/store.js';
import { testPostgresDatabase } from '../../helpers/postgres.js';
import { cliHarness, type CliRun } from './cli-harness.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

/** Runs the CLI with a config whose data.postgres_url is `url` (data.dir stays empty: no SQLite file). */
function cli(url: string, ...args: string[]): Promise<CliRun> {
  const h = cliHarness({ postgresUrl: url });
  cleanups.push(h.cleanup);
  return h.run(...args);
}

describe('the CLI with data.postgres_url', () => {
  it('lists and shows the agents stored in PostgreSQL, not in a SQLite file', async () => {
    const url = await testPostgresDatabase('cli_agents');
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
    const url = await testPostgresDatabase('cli_empty');
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
