/**
 * A throw-away PostgreSQL cluster for tests: `initdb` in a temp folder, `pg_ctl start` on loopback at the
 * given port, fsync off. PostgreSQL refuses to run as root, so as root the cluster runs as `nobody`.
 * `available` is false on a machine without the server binaries (the tests that need it are skipped).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface PostgresCluster {
  /** libpq URL of the `postgres` database, superuser `postgres`, no password (trust on loopback). */
  url: string;
  stop(): void;
}

function hasBinary(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const postgresAvailable = hasBinary('initdb') && hasBinary('pg_ctl');

const NOBODY_UID = 65534;

export function startPostgresCluster(port: number): PostgresCluster {
  const dir = mkdtempSync(path.join(tmpdir(), 'callwright-pg-'));
  const asRoot = process.getuid?.() === 0;
  // The server's own user must own the folder; the socket lives there too (no /var/run access needed).
  chmodSync(dir, 0o755);
  if (asRoot) chownSync(dir, NOBODY_UID, NOBODY_UID);
  const run = (cmd: string, args: string[]): void => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'nobody', '--', cmd, ...args]] : [cmd, args];
    execFileSync(file, argv, { stdio: 'ignore', timeout: 60_000 });
  };
  const data = path.join(dir, 'data');
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  try {
    run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres']);
    run('pg_ctl', ['-D', data, '-o', options, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start on 127.0.0.1:${port} (port taken?)`, { cause: err });
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
