import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { inject } from 'vitest';

/**
 * A throwaway PostgreSQL server from Debian's packages (`postgresql`, binaries in
 * /usr/lib/postgresql/<version>/bin) on a temporary data directory, loopback only, trust auth, fsync off.
 * initdb refuses to run as root, so under root the server runs as the `postgres` system user (the
 * package creates it) and the data directory is handed to that user.
 */
const run = promisify(execFile);

/**
 * A server started outside the test run (CI service, a developer's own) instead of a throwaway one. Not
 * CALLWRIGHT_*: the config loader refuses unknown variables of its own prefix.
 */
export const POSTGRES_URL_ENV = 'TEST_POSTGRES_URL';
/** Port the throwaway server binds (a free one when unset). */
export const POSTGRES_PORT_ENV = 'TEST_POSTGRES_PORT';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the run's server; empty when it could not start (then `postgresError` says why). */
    postgresUrl: string;
    postgresError: string;
  }
}

const MISSING =
  'PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): run `npm run setup:test` ' +
  'or `apt-get install postgresql`';

export interface PostgresServer {
  /** Superuser URL of the `postgres` database. */
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

/** The newest installed PostgreSQL's bin directory; throws when none is installed. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new Error(MISSING);
  return path.join(root, versions[0], 'bin');
}

/** A port nothing listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function asRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Runs a PostgreSQL binary, as the `postgres` user when we are root. */
async function pgRun(bin: string, args: string[], timeout: number): Promise<void> {
  const [cmd, argv] = asRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  await run(cmd, argv, { timeout, cwd: tmpdir() });
}

/**
 * Starts a server on 127.0.0.1:`port` (default: $TEST_POSTGRES_PORT, else a free port).
 * `stop()` shuts it down and removes its data directory.
 */
export async function startPostgres(options: { port?: number } = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const port = options.port ?? (Number(process.env[POSTGRES_PORT_ENV]) || (await freePort()));
  const dataDir = mkdtempSync(path.join(tmpdir(), 'callwright-pg-'));
  if (asRoot()) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dataDir, uid, gid);
  }
  const pgdata = path.join(dataDir, 'data');
  const log = path.join(dataDir, 'server.log');
  let started = false;
  const stop = async (): Promise<void> => {
    if (started) {
      await pgRun(path.join(bin, 'pg_ctl'), ['-D', pgdata, '-m', 'immediate', '-w', 'stop'], 30_000).catch(
        () => undefined,
      );
      started = false;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await pgRun(
      path.join(bin, 'initdb'),
      ['-D', pgdata, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      60_000,
    );
    // Unix socket in the data directory (the packaged /var/run/postgresql may not be writable).
    const serverArgs = `-c listen_addresses=127.0.0.1 -p ${port} -F -k ${dataDir} -c max_connections=200`;
    await pgRun(
      path.join(bin, 'pg_ctl'),
      ['-D', pgdata, '-l', log, '-o', serverArgs, '-w', '-t', '60', 'start'],
      90_000,
    );
    started = true;
  } catch (err) {
    const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-15).join('\n') : '';
    await stop();
    throw new Error(`PostgreSQL did not start on 127.0.0.1:${port}: ${(err as Error).message}\n${tail}`);
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, dataDir, stop };
}

let counter = 0;

/** Creates an empty database on the server at `serverUrl` and returns its URL. */
export async function createDatabase(serverUrl: string, prefix = 'cw'): Promise<string> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${++counter}`.toLowerCase();
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * The URL of the test run's server (started once by the global setup, see postgres-global-setup.ts).
 * Throws — never skips — when it could not be started, so a missing PostgreSQL fails the tests that need it.
 */
export function testPostgresUrl(): string {
  const url = inject('postgresUrl');
  if (url) return url;
  throw new Error(
    inject('postgresError') || 'no test PostgreSQL server (run the tests with vitest.config.ts)',
  );
}

/** A fresh, empty database on the test run's server (one per test file or per test). */
export function testPostgresDatabase(prefix?: string): Promise<string> {
  return createDatabase(testPostgresUrl(), prefix);
}
