import type { Command } from 'commander';
import { dataPaths } from '../../config/load.js';
import { openDatabase, migrate, schemaVersion } from '../../store/database.js';
import {
  checkDatabaseUrl,
  connectError,
  isConnectError,
  redactDatabaseUrl,
} from '../../store/postgres/database-url.js';
import { migratePostgres, postgresSchemaVersion } from '../../store/postgres/migrate.js';
import { PostgresDatabase } from '../../store/sql/postgres-database.js';
import { loadCliConfig, type Io } from '../context.js';

function report(io: Io, applied: number[], version: number, where: string): void {
  io.out(
    applied.length
      ? `applied migration(s) ${applied.join(', ')}; schema version ${version} (${where})`
      : `already at schema version ${version} (${where})`,
  );
}

function migrateSqlite(io: Io, file: string): void {
  const db = openDatabase(file, { migrate: false });
  try {
    report(io, migrate(db), schemaVersion(db), file);
  } finally {
    db.close();
  }
}

async function migrateServer(io: Io, url: string, field: string): Promise<void> {
  checkDatabaseUrl(url, field);
  const sql = new PostgresDatabase({ url, poolSize: 1, applicationName: 'callwright migrate' });
  try {
    let applied: number[];
    try {
      applied = await migratePostgres(sql);
    } catch (err) {
      throw isConnectError(err) ? connectError(err, url, field) : err;
    }
    report(io, applied, await postgresSchemaVersion(sql), redactDatabaseUrl(url));
  } finally {
    await sql.close();
  }
}

export function migrateCommand(program: Command, io: Io): void {
  program
    .command('migrate')
    .description(
      'Create or upgrade the database: PostgreSQL when data.postgres_url (or --database-url) is set, else the SQLite file (safe to run again)',
    )
    .option('--database-url <url>', 'PostgreSQL URL to migrate instead of the configured store')
    .action(async (opts: { databaseUrl?: string }) => {
      const config = loadCliConfig(program.opts());
      if (opts.databaseUrl !== undefined) return migrateServer(io, opts.databaseUrl, '--database-url');
      if (config.data.postgres_url) return migrateServer(io, config.data.postgres_url, 'data.postgres_url');
      migrateSqlite(io, dataPaths(config).database);
    });
}
