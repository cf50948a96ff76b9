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

/** A temp data dir, a config file pointing at it, and `run(...)` calling the CLI in-process. */
export function cliHarness(): {
  dir: string;
  configFile: string;
  database: string;
  run: (...args: string[]) => Promise<CliRun>;
  openStore: () => Store;
  cleanup: () => void;
} {
  const t = tempDir();
  const configFile = path.join(t.dir, 'local.yaml');
  writeFileSync(configFile, `data:\n  dir: ${JSON.stringify(t.dir)}\nlog:\n  level: silent\n`);
  const database = dataPaths(testConfig(t.dir)).database;
  return {
    dir: t.dir,
    configFile,
    database,
    async run(...args) {
      const out: string[] = [];
      const err: string[] = [];
      const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), tty: false };
      const code = await main(['node', 'callwright', '--config', configFile, ...args], io);
      return { code, out, err };
    },
    openStore: () => Store.open(database),
    cleanup: t.cleanup,
  };
}
