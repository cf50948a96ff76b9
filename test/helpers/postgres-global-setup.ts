import { POSTGRES_ERROR_ENV, POSTGRES_URL_ENV, startPostgres, type PostgresServer } from './postgres.js';

/**
 * Vitest global setup: one PostgreSQL server for the whole run, each test file creating its own database
 * on it (so the run pays initdb once). Its URL reaches the test processes through an environment variable
 * (forks inherit the parent's environment). When PostgreSQL is missing or does not start, the run goes on
 * and the tests that need it fail with the reason; the SQLite tests are unaffected.
 */
let server: PostgresServer | undefined;

export async function setup(): Promise<void> {
  if (process.env[POSTGRES_URL_ENV]) return; // a server given from outside (CI service, developer's own)
  try {
    server = await startPostgres();
    process.env[POSTGRES_URL_ENV] = server.url;
  } catch (err) {
    process.env[POSTGRES_ERROR_ENV] = (err as Error).message;
  }
}

export async function teardown(): Promise<void> {
  await server?.stop();
  server = undefined;
}
