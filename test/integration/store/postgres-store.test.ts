import { afterAll, beforeAll, describe } from 'vitest';
import { Store } from '../../../src/store/store.js';
import { PostgresDatabase } from '../../../src/store/sql/postgres-database.js';
import { migratePostgres } from '../../../src/store/postgres/migrate.js';
import { testPostgresDatabase } from '../../helpers/postgres.js';
import { repositoryContract } from './repository-contract.js';

// One database for the file, migrated once; each test starts from emptied tables.
let url: string;
let admin: PostgresDatabase;

beforeAll(async () => {
  url = await testPostgresDatabase('repo');
  admin = new PostgresDatabase({ url, poolSize: 1 });
  await migratePostgres(admin);
});
afterAll(async () => {
  await admin?.close();
});

async function emptied(): Promise<Store> {
  const tables = await admin.all<{ tablename: string }>(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'callwright_schema'",
  );
  await admin.exec(`TRUNCATE ${tables.map((t) => t.tablename).join(', ')} RESTART IDENTITY CASCADE`);
  return Store.connect({ url, migrate: false });
}

describe('PostgreSQL store', () => {
  repositoryContract(emptied);
});
