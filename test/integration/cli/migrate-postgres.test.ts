import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { latestSchemaVersion } from '../../../src/store/postgres/migrate.js';
import { testPostgresDatabase, testPostgresUrl } from '../../helpers/postgres.js';
import { cliHarness } from './cli-harness.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function harness(postgresUrl?: string) {
  const h = cliHarness({ postgresUrl });
  cleanups.push(h.cleanup);
  return h;
}

async function tables(url: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ t: string }>(
      "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    return r.rows.map((x) => x.t);
  } finally {
    await c.end();
  }
}

const latest = latestSchemaVersion();
/** An address in this suite's port range where nothing listens. */
const CLOSED_PORT = 63499;

describe('callwright migrate on PostgreSQL', () => {
  it('migrates the database data.postgres_url names, then finds nothing to do', async () => {
    const url = await testPostgresDatabase('cli');
    const h = harness(url);
    const first = await h.run('migrate');
    expect(first.err).toEqual([]);
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toEqual([`applied migration(s) 10, 11, 12, 13, 14; schema version ${latest} (${url})`]);
    expect(await tables(url)).toEqual(expect.arrayContaining(['agents', 'appointments', 'nodes', 'outbox']));
    const again = await h.run('migrate');
    expect(again.out).toEqual([`already at schema version ${latest} (${url})`]);
    // The SQLite file of data.dir is not created when the store is PostgreSQL.
    expect(existsSync(h.database)).toBe(false);
  });

  it('migrates --database-url instead of the configured SQLite file', async () => {
    const url = await testPostgresDatabase('cli');
    const h = harness();
    const r = await h.run('migrate', '--database-url', url);
    expect(r.code).toBe(0);
    expect(r.out[0]).toContain(`schema version ${latest} (${url})`);
    expect(existsSync(h.database)).toBe(false);
    expect(await tables(url)).toContain('nodes');
  });

  it('still migrates the SQLite file when no PostgreSQL URL is set', async () => {
    const h = harness();
    const r = await h.run('migrate');
    expect(r.code).toBe(0);
    expect(r.out).toEqual([expect.stringMatching(new RegExp(`schema version ${latest} \\(.*\\.db\\)$`))]);
    expect(existsSync(h.database)).toBe(true);
  });

  it('names the field and the address of an unreachable server, never the password', async () => {
    const h = harness(`postgres://cw:s3cret@127.0.0.1:${CLOSED_PORT}/callwright`);
    const r = await h.run('migrate');
    expect(r.code).toBe(1);
    const err = r.err.join('\n');
    expect(err).toContain(
      `cannot connect to PostgreSQL at postgres://cw:***@127.0.0.1:${CLOSED_PORT}/callwright`,
    );
    expect(err).toContain('(data.postgres_url)');
    expect(err).toContain('connection refused');
    expect(err).not.toContain('s3cret');
  });

  it('says when the database does not exist on a reachable server', async () => {
    const url = new URL(testPostgresUrl());
    url.pathname = '/no_such_database';
    const r = await harness().run('migrate', '--database-url', url.toString());
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/--database-url.*database "no_such_database" does not exist/);
  });

  it('refuses a URL that is not a PostgreSQL one, naming the flag and hiding the password', async () => {
    const r = await harness().run('migrate', '--database-url', 'mysql://root:hunter2@db/callwright');
    expect(r.code).toBe(1);
    const err = r.err.join('\n');
    expect(err).toContain('--database-url: "mysql://root:***@db/callwright" is not a PostgreSQL URL');
    expect(err).not.toContain('hunter2');
    const junk = await harness().run('migrate', '--database-url', 'not a url');
    expect(junk.err.join('\n')).toContain('--database-url: "not a url" is not a PostgreSQL URL');
  });

  it('refuses a bad data.postgres_url when the configuration loads', async () => {
    const r = await harness('mysql://root:hunter2@db/callwright').run('migrate');
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toContain('data.postgres_url');
  });
});
