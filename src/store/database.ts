import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { migrations } from './migrations/index.js';

export type Db = Database.Database;

export interface OpenOptions {
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  readonly?: boolean;
  /** Page cache size, MB (PRAGMA cache_size); SQLite's build default otherwise (16 MB in better-sqlite3). */
  cacheMb?: number;
}

/** Opens the SQLite file in WAL mode with foreign keys on, creating its folder. */
export function openDatabase(file: string, options: OpenOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file, { readonly: options.readonly ?? false });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  if (options.cacheMb !== undefined) db.pragma(`cache_size = ${-Math.round(options.cacheMb * 1024)}`);
  if (options.migrate ?? true) migrate(db);
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies every migration newer than `user_version`, each in its own transaction. Returns those applied. */
export function migrate(db: Db): number[] {
  const applied: number[] = [];
  const current = schemaVersion(db);
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  if (current > latest) {
    throw new Error(
      `database schema version ${current} is newer than this build knows (${latest}); upgrade Callwright`,
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    // PRAGMA foreign_keys is a no-op inside a transaction: it is switched around it.
    const restoreKeys = m.foreignKeysOff && (db.pragma('foreign_keys', { simple: true }) as number) === 1;
    if (restoreKeys) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        db.exec(m.up);
        if (m.foreignKeysOff) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length)
            throw new Error(`migration ${m.version} (${m.name}) left ${broken.length} broken foreign keys`);
        }
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    } finally {
      if (restoreKeys) db.pragma('foreign_keys = ON');
    }
    applied.push(m.version);
  }
  return applied;
}
