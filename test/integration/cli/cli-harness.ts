import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../src/cli/main.js';
import type { Io } from '../../../src/cli/context.js';
import { dataPaths } from '../../../src/config/load.js';
import { Store } from '../../../src/store/store.js';
import { tempDir, testConfig } from '../../helpers/temp.js';

export interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

/** An Io that keeps what the CLI prints, line by line. */
export function captureIo(): { io: Io; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l) => out.push(l), err: (l) => err.push(l), tty: false }, out, err };
}

/**
 * A temp data dir, a config file pointing at it (and at the PostgreSQL database `postgresUrl` when given),
 * and `run(...)` calling the CLI in-process.
 */
export function cliHarness(options: { postgresUrl?: string } = {}): {
  dir: string;
  configFile: string;
  database: string;
  run: (...args: string[]) => Promise<CliRun>;
  openStore: () => Store;
  cleanup: () => void;
} {
  const t = tempDir();
  const configFile = path.join(t.dir, 'local.yaml');
  const postgres = options.postgresUrl ? `  postgres_url: ${JSON.stringify(options.postgresUrl)}\n` : '';
  writeFileSync(configFile, `data:\n  dir: ${JSON.stringify(t.dir)}\n${postgres}log:\n  level: silent\n`);
  const database = dataPaths(testConfig(t.dir)).database;
  return {
    dir: t.dir,
    configFile,
    database,
    async run(...args) {
      const { io, out, err } = captureIo();
      const code = await main(['node', 'callwright', '--config', configFile, ...args], io);
      return { code, out, err };
    },
    openStore: () => Store.open(database),
    cleanup: t.cleanup,
  };
}
