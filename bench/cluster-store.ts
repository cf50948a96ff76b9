/**
 * bench:cluster's stores. SQLite: each node its own file in its data folder, nothing to start. PostgreSQL:
 * one throwaway server (test/helpers/postgres.ts, as the tests start theirs) shared by the nodes, with a
 * fresh database for each setup so no setup reads or counts another's calls.
 */
import pg from 'pg';
import { Store } from '../src/store/store.js';
import { createDatabase, startPostgres, type PostgresServer } from '../test/helpers/postgres.js';
import type { StoreKind } from './cluster-options.js';

/** One setup's PostgreSQL database, migrated, with an API key every node accepts. */
export interface SetupDatabase {
  url: string;
  apiKey: string;
  /** Calls stored so far, by the node that holds them (calls.node_id). */
  callsByNode(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

export interface BenchStore {
  kind: StoreKind;
  /** A fresh database for the next setup; undefined for SQLite (each node creates its own file). */
  database(): Promise<SetupDatabase | undefined>;
  stop(): Promise<void>;
}

export async function startBenchStore(kind: StoreKind, postgresPort: number): Promise<BenchStore> {
  if (kind === 'sqlite')
    return { kind, database: () => Promise.resolve(undefined), stop: () => Promise.resolve() };
  const server = await startPostgres({ port: postgresPort });
  return { kind, database: () => setupDatabase(server), stop: () => server.stop() };
}

async function setupDatabase(server: PostgresServer): Promise<SetupDatabase> {
  const url = await createDatabase(server.url, 'bench_cluster');
  // Migrated and given a key before any node starts: the nodes then find both and print no key (a node
  // prints the key it creates only on an empty database), so the bench holds the one they all accept.
  const store = await Store.connect({ url });
  let apiKey: string;
  try {
    apiKey = (await store.apiKeys.create('bench:cluster')).token;
  } finally {
    await store.close();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    url,
    apiKey,
    async callsByNode() {
      const { rows } = await client.query<{ node_id: string | null; n: number }>(
        'SELECT node_id, count(*)::int AS n FROM calls GROUP BY node_id',
      );
      return new Map(rows.map((r) => [r.node_id ?? '', r.n]));
    },
    close: () => client.end(),
  };
}
