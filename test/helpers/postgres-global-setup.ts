import type { TestProject } from 'vitest/node';
import { POSTGRES_URL_ENV, startPostgres, type PostgresServer } from './postgres.js';

/**
 * Vitest global setup: one PostgreSQL server for the whole run, each test file creating its own database
 * on it (so the run pays initdb once); test files read its URL with `inject('postgresUrl')`. When
 * PostgreSQL is missing or does not start, the run goes on and the tests that need it fail with the
 * reason; the SQLite tests are unaffected. $TEST_POSTGRES_URL uses a server started elsewhere instead.
 */
let server: PostgresServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const given = process.env[POSTGRES_URL_ENV];
  if (given) {
    project.provide('postgresUrl', given);
    project.provide('postgresError', '');
    return;
  }
  try {
    server = await startPostgres();
    project.provide('postgresUrl', server.url);
    project.provide('postgresError', '');
  } catch (err) {
    project.provide('postgresUrl', '');
    project.provide('postgresError', (err as Error).message);
  }
}

export async function teardown(): Promise<void> {
  await server?.stop();
  server = undefined;
}
