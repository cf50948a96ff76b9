import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { openDatabase, migrate, schemaVersion } from '../../../src/store/database.js';
import { migrations } from '../../../src/store/migrations/index.js';
import { tempDir } from '../../helpers/temp.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

describe('migrations', () => {
  it('migrates an empty file to the latest version, and a re-run changes nothing', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const file = path.join(t.dir, 'nested', 'cw.db');
    const db = openDatabase(file, { migrate: false });
    expect(schemaVersion(db)).toBe(0);
    const applied = migrate(db);
    expect(applied).toEqual(migrations.map((m) => m.version));
    expect(schemaVersion(db)).toBe(migrations.at(-1)?.version);
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all() as Array<{
        name: string;
      }>
    ).map((r) => r.name);
    for (const t of [
      'agents',
      'action_definitions',
      'agent_actions',
      'contacts',
      'lists',
      'tags',
      'dispositions',
      'users',
      'ring_groups',
      'lines',
      'calls',
      'call_events',
      'action_runs',
      'outbox',
      'appointments',
      'voicemails',
      'messages',
      'api_keys',
    ]) {
      expect(tables).toContain(t);
    }
    expect(migrate(db)).toEqual([]);
    db.close();
    const again = openDatabase(file);
    expect(schemaVersion(again)).toBe(migrations.at(-1)?.version);
    expect(again.pragma('journal_mode', { simple: true })).toBe('wal');
    again.close();
  });

  it('refuses a database newer than the build', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const db = openDatabase(path.join(t.dir, 'cw.db'), { migrate: false });
    db.pragma('user_version = 999');
    expect(() => migrate(db)).toThrow(/newer than this build/);
    db.close();
  });
});

describe('openDatabase', () => {
  it('sets the page cache to data.sqlite_cache_mb, and leaves the build default without it', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const sized = openDatabase(path.join(t.dir, 'a.db'), { cacheMb: 2 });
    const plain = openDatabase(path.join(t.dir, 'b.db'));
    cleanups.push(() => (sized.close(), plain.close()));
    expect(sized.pragma('cache_size', { simple: true })).toBe(-2048);
    expect(plain.pragma('cache_size', { simple: true })).toBe(-16000);
  });
});
