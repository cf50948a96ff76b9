import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Store } from '../../src/store/store.js';
import { validateConfig, merge } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG_FILE } from '../../src/config/load.js';

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix = 'callwright-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The default config with data.dir in a temp folder, plus overrides. */
export function testConfig(dataDir: string, overrides: Record<string, unknown> = {}): Config {
  const base = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  const merged = merge(
    merge(base, {
      data: { dir: dataDir },
      api: { port: 0 },
      log: { level: 'silent' },
      sip: { port: 0 },
      // Calls in tests hear keys and API lines only, unless a test picks a recogniser (speech tests do):
      // callers there play tones, which a recogniser would take for speech.
      speech: { recognizer: 'none' },
    }),
    overrides,
  );
  return validateConfig(merged);
}

/** A migrated store on a real SQLite file in a temp folder; `cleanup` closes it, then removes the folder. */
export function tempStore(): { store: Store; dir: string; cleanup: () => Promise<void> } {
  const t = tempDir();
  const store = Store.open(path.join(t.dir, 'test.db'));
  return {
    store,
    dir: t.dir,
    cleanup: async () => {
      await store.close();
      t.cleanup();
    },
  };
}
