import type { Command } from 'commander';
import { dataPaths } from '../../config/load.js';
import { openDatabase, migrate, schemaVersion } from '../../store/database.js';
import { loadCliConfig, type Io } from '../context.js';

export function migrateCommand(program: Command, io: Io): void {
  program
    .command('migrate')
    .description('Create or upgrade the SQLite database (safe to run again)')
    .action(() => {
      const file = dataPaths(loadCliConfig(program.opts())).database;
      const db = openDatabase(file, { migrate: false });
      try {
        const applied = migrate(db);
        io.out(
          applied.length
            ? `applied migration(s) ${applied.join(', ')}; schema version ${schemaVersion(db)} (${file})`
            : `already at schema version ${schemaVersion(db)} (${file})`,
        );
      } finally {
        db.close();
      }
    });
}
