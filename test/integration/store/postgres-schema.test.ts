import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { PostgresDatabase } from '../../../src/store/sql/postgres-database.js';
import {
  latestSchemaVersion,
  migratePostgres,
  postgresSchemaVersion,
} from '../../../src/store/postgres/migrate.js';
import { testPostgresDatabase } from '../../helpers/postgres.js';

/**
 * The PostgreSQL schema against the SQLite one it mirrors, read from each engine's catalogue: same
 * tables, columns, nullability, defaults, keys, foreign keys (with their ON DELETE), indexes and CHECK
 * counts. Then what only PostgreSQL enforces: no overlapping booked appointments for one user.
 */
let url: string;
let sql: PostgresDatabase;
let lite: Db;

beforeAll(async () => {
  url = await testPostgresDatabase('schema');
  sql = new PostgresDatabase({ url });
  expect(await migratePostgres(sql)).toEqual([10, 11, 12, 13, 14]);
  lite = openDatabase(':memory:');
});
afterAll(async () => {
  await sql?.close();
  lite?.close();
});

const TYPES: Record<string, string[]> = {
  TEXT: ['text'],
  INTEGER: ['integer', 'bigint'],
  REAL: ['double precision'],
};

/** `'en'::text` → `'en'`; `0` stays `0`. */
const plainDefault = (d: string | null): string | null => d?.replace(/::[a-z ]+$/, '') ?? null;

function sqliteTables(): string[] {
  return (
    lite
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all() as Array<{ name: string }>
  ).map((r) => r.name);
}

interface LiteColumn {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

describe('PostgreSQL schema', () => {
  it('is at the same version as the SQLite schema, and migrating again applies nothing', async () => {
    expect(await postgresSchemaVersion(sql)).toBe(latestSchemaVersion());
    expect(await migratePostgres(sql)).toEqual([]);
  });

  it('has the same tables and columns, types, nullability and defaults', async () => {
    const pgTables = await sql.all<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'callwright_schema' ORDER BY table_name",
    );
    expect(pgTables.map((t) => t.table_name)).toEqual(sqliteTables());
    for (const table of sqliteTables()) {
      const liteCols = lite.prepare(`PRAGMA table_info(${table})`).all() as LiteColumn[];
      const pgCols = await sql.all<{
        column_name: string;
        data_type: string;
        is_nullable: string;
        column_default: string | null;
      }>(
        `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position`,
        [table],
      );
      const integerKey = liteCols.some((c) => c.pk === 1 && c.type === 'INTEGER');
      const byName = new Map(pgCols.map((c) => [c.column_name, c]));
      // Tables without an integer key carry `rowid` for insertion order.
      expect(byName.has('rowid'), `${table}.rowid`).toBe(!integerKey);
      expect(
        pgCols.map((c) => c.column_name).filter((n) => n !== 'rowid'),
        table,
      ).toEqual(liteCols.map((c) => c.name));
      for (const c of liteCols) {
        const p = byName.get(c.name)!;
        const where = `${table}.${c.name}`;
        expect(TYPES[c.type], where).toContain(p.data_type);
        expect(p.is_nullable === 'NO', where).toBe(c.notnull === 1 || c.pk > 0);
        if (!(integerKey && c.pk)) expect(plainDefault(p.column_default), where).toBe(c.dflt_value);
      }
    }
  });

  it('has the same primary keys, unique constraints and indexes', async () => {
    for (const table of sqliteTables()) {
      const liteIdx = lite.prepare(`PRAGMA index_list(${table})`).all() as Array<{
        name: string;
        unique: number;
        origin: string;
      }>;
      const shape = (cols: string[], unique: boolean) => `${unique ? 'unique ' : ''}(${cols.join(', ')})`;
      const expected = liteIdx.map((i) =>
        shape(
          (lite.prepare(`PRAGMA index_info(${i.name})`).all() as Array<{ name: string }>).map((c) => c.name),
          i.unique === 1,
        ),
      );
      const pk = (lite.prepare(`PRAGMA table_info(${table})`).all() as LiteColumn[])
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk);
      // SQLite lists no index for an INTEGER PRIMARY KEY (it is the rowid itself).
      if (pk.length === 1 && pk[0]!.type === 'INTEGER') expected.push(shape([pk[0]!.name], true));
      const pgIdx = await sql.all<{ cols: string[]; unique: boolean }>(
        `SELECT array_agg(a.attname::text ORDER BY k.ord) AS cols, i.indisunique AS unique
           FROM pg_index i
           JOIN pg_class t ON t.oid = i.indrelid
           CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
          WHERE t.relname = ? AND t.relnamespace = 'public'::regnamespace AND i.indexprs IS NULL
          GROUP BY i.indexrelid, i.indisunique`,
        [table],
      );
      expect(pgIdx.map((i) => shape(i.cols, i.unique)).sort(), table).toEqual(expected.sort());
    }
  });

  it('has the same foreign keys with the same ON DELETE, and as many CHECKs', async () => {
    const actions: Record<string, string> = { a: 'NO ACTION', c: 'CASCADE', n: 'SET NULL', r: 'RESTRICT' };
    for (const table of sqliteTables()) {
      const liteFks = (
        lite.prepare(`PRAGMA foreign_key_list(${table})`).all() as Array<{
          table: string;
          from: string;
          to: string;
          on_delete: string;
        }>
      ).map((f) => `${f.from} -> ${f.table}(${f.to}) ON DELETE ${f.on_delete}`);
      const pgFks = await sql.all<{ col: string; ref: string; refcol: string; del: string }>(
        `SELECT a.attname AS col, r.relname AS ref, ra.attname AS refcol, c.confdeltype AS del
           FROM pg_constraint c
           JOIN pg_class t ON t.oid = c.conrelid
           JOIN pg_class r ON r.oid = c.confrelid
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = c.conkey[1]
           JOIN pg_attribute ra ON ra.attrelid = r.oid AND ra.attnum = c.confkey[1]
          WHERE c.contype = 'f' AND t.relname = ?`,
        [table],
      );
      expect(
        pgFks.map((f) => `${f.col} -> ${f.ref}(${f.refcol}) ON DELETE ${actions[f.del]}`).sort(),
        table,
      ).toEqual(liteFks.sort());
      const liteSql = (
        lite.prepare('SELECT sql FROM sqlite_master WHERE name = ?').get(table) as { sql: string }
      ).sql;
      const pgChecks = await sql.get<{ n: number }>(
        "SELECT count(*) AS n FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'c' AND t.relname = ?",
        [table],
      );
      expect(pgChecks?.n, `${table} CHECKs`).toBe(liteSql.match(/CHECK \(/g)?.length ?? 0);
    }
  });
});

describe('appointments on PostgreSQL', () => {
  const user = 'usr_1';
  let n = 0;
  const insert = (client: pg.ClientBase, start: string, end: string, status = 'booked', who = user) =>
    client.query(
      `INSERT INTO appointments (id, user_id, starts_at, ends_at, status, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, now()::text, now()::text)`,
      [`apt_${++n}`, who, start, end, status],
    );

  beforeAll(async () => {
    await sql.run(
      "INSERT INTO users (id, name, created_at, updated_at) VALUES ('usr_1', 'Ann', '', ''), ('usr_2', 'Bob', '', '')",
    );
  });

  it('refuses overlapping booked appointments of one user, and only those', async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await insert(c, '2026-05-01T10:00:00.000Z', '2026-05-01T10:30:00.000Z');
      // Back to back, another user, a cancelled one: all fine.
      await insert(c, '2026-05-01T10:30:00.000Z', '2026-05-01T11:00:00.000Z');
      await insert(c, '2026-05-01T10:00:00.000Z', '2026-05-01T10:30:00.000Z', 'booked', 'usr_2');
      await insert(c, '2026-05-01T10:10:00.000Z', '2026-05-01T10:20:00.000Z', 'cancelled');
      await expect(insert(c, '2026-05-01T10:29:00.000Z', '2026-05-01T10:31:00.000Z')).rejects.toMatchObject({
        code: '23P01',
        constraint: 'appointments_no_overlap',
      });
      // Moving a cancelled one back to booked over a live one is refused too.
      await expect(
        c.query("UPDATE appointments SET status = 'booked' WHERE status = 'cancelled'"),
      ).rejects.toMatchObject({ code: '23P01' });
      // The same instant written with an offset is the same instant.
      await expect(insert(c, '2026-05-01T12:15:00+02:00', '2026-05-01T12:45:00+02:00')).rejects.toMatchObject(
        {
          code: '23P01',
        },
      );
    } finally {
      await c.end();
    }
  });

  it('lets exactly one of two concurrent transactions book the same slot', async () => {
    const [a, b] = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
    await Promise.all([a.connect(), b.connect()]);
    try {
      await a.query('BEGIN');
      await b.query('BEGIN');
      await insert(a, '2026-06-01T09:00:00.000Z', '2026-06-01T09:30:00.000Z');
      // b waits on a's uncommitted row, then fails when a commits.
      const second = insert(b, '2026-06-01T09:15:00.000Z', '2026-06-01T09:45:00.000Z').then(
        () => 'booked',
        (err: { code?: string }) => err.code,
      );
      await a.query('COMMIT');
      expect(await second).toBe('23P01');
      await b.query('ROLLBACK');
      const rows = await sql.all("SELECT id FROM appointments WHERE starts_at LIKE '2026-06-01%'");
      expect(rows).toHaveLength(1);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('lets exactly one of many concurrent store transactions book the same slot', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        sql.transaction(async () => {
          await sql.run(
            `INSERT INTO appointments (id, user_id, starts_at, ends_at, created_at, updated_at)
             VALUES (?, 'usr_2', ?, ?, '', '')`,
            [`apt_race_${i}`, '2026-07-01T09:00:00.000Z', `2026-07-01T09:${30 + i}:00.000Z`],
          );
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected'))
      expect((r.reason as { code?: string }).code).toBe('23P01');
  });
});
