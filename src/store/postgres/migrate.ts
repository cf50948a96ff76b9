import type { PostgresDatabase } from '../sql/postgres-database.js';
import { migrations as sqliteMigrations } from '../migrations/index.js';
import { postgresMigrations } from './migrations/index.js';

/** Any fixed 64-bit number: the advisory lock nodes take so only one of them migrates at a time. */
const MIGRATION_LOCK = 0x63616c6c77726974n;

/** The schema version this build expects: the same number on both engines. */
export function latestSchemaVersion(): number {
  return sqliteMigrations[sqliteMigrations.length - 1]?.version ?? 0;
}

export async function postgresSchemaVersion(sql: PostgresDatabase): Promise<number> {
  await sql.exec('CREATE TABLE IF NOT EXISTS callwright_schema (version INTEGER NOT NULL)');
  const row = await sql.get<{ version: number }>('SELECT max(version) AS version FROM callwright_schema');
  return row?.version ?? 0;
}

/**
 * Applies every PostgreSQL migration newer than the database's version, all in one transaction under an
 * advisory lock (two nodes starting together: the second waits, then finds nothing to do). Returns the
 * versions applied. Read committed, not serializable: a serializable transaction reads from a snapshot
 * taken when its first statement (the lock) starts, so the second node, once it holds the lock, would
 * still see the version from before the first node's migration and apply it again.
 */
export async function migratePostgres(sql: PostgresDatabase): Promise<number[]> {
  return sql.transaction(
    async () => {
      await sql.run('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK.toString()]);
      const current = await postgresSchemaVersion(sql);
      refuseNewer(current);
      const applied: number[] = [];
      for (const m of postgresMigrations) {
        if (m.version <= current) continue;
        await sql.exec(m.up);
        await sql.run('INSERT INTO callwright_schema (version) VALUES (?)', [m.version]);
        applied.push(m.version);
      }
      return applied;
    },
    { isolation: 'read committed' },
  );
}

/** Refuses a database this build cannot use (older: run `callwright migrate`; newer: upgrade). */
export async function checkPostgresSchema(sql: PostgresDatabase): Promise<void> {
  const current = await postgresSchemaVersion(sql);
  refuseNewer(current);
  if (current < latestSchemaVersion()) {
    throw new Error(
      `database schema version ${current} is older than this build's (${latestSchemaVersion()}); run callwright migrate`,
    );
  }
}

function refuseNewer(current: number): void {
  const latest = latestSchemaVersion();
  if (current > latest) {
    throw new Error(
      `database schema version ${current} is newer than this build knows (${latest}); upgrade Callwright`,
    );
  }
}
