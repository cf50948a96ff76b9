import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import type { RunResult, SqlDatabase, SqlParams, SqlRow, TransactionOptions } from './sql-database.js';
import { bindValues, toPostgres } from './translate.js';

// COUNT(*) and BIGINT columns come back as strings by default; every count and id here fits a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

/** Runs of a transaction that PostgreSQL aborted for a serialization conflict before giving up. */
const MAX_ATTEMPTS = 10;

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` (libpq URL); PG* environment variables fill the gaps. */
  url: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Milliseconds a statement may run before PostgreSQL cancels it (default 30 s). */
  statementTimeoutMs?: number;
  /** Milliseconds to wait for a connection (default 10 s). */
  connectTimeoutMs?: number;
  applicationName?: string;
}

/**
 * PostgreSQL behind the SqlDatabase port, over a `pg` pool. A transaction holds one pooled client for its
 * duration; queries made inside it (tracked with AsyncLocalStorage) use that client.
 */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  /**
   * The open transaction's client. Work started inside a transaction and still running after it ended
   * keeps this context: `open` is then false, and it uses the pool, never the released client.
   */
  private readonly context = new AsyncLocalStorage<{ client: pg.PoolClient; open: boolean }>();
  private closed = false;

  constructor(options: PostgresOptions) {
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      application_name: options.applicationName ?? 'callwright',
    });
    // An idle client that loses its server emits here; the pool drops it and the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  get open(): boolean {
    return !this.closed;
  }

  inTransaction(): boolean {
    return this.context.getStore()?.open === true;
  }

  async all<T = SqlRow>(sql: string, params?: SqlParams): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async get<T = SqlRow>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async run(sql: string, params?: SqlParams): Promise<RunResult> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await this.executor().query(sql);
  }

  /**
   * Serializable by default, so a read-then-write inside `fn` is as safe as under SQLite's one writer:
   * when PostgreSQL detects a conflicting concurrent transaction (40001) or a deadlock (40P01) the whole
   * of `fn` runs again, up to `MAX_ATTEMPTS` times with a short random pause. `fn` must therefore do
   * nothing but database work that can be repeated (no HTTP, no SIP, no messages sent). Work that takes
   * row locks itself (`FOR UPDATE SKIP LOCKED` claims) passes `isolation: 'read committed'`.
   */
  async transaction<T>(fn: () => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (this.inTransaction()) return fn();
    const isolation = options.isolation ?? 'serializable';
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(fn, isolation);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if ((code !== '40001' && code !== '40P01') || attempt >= MAX_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
      }
    }
  }

  private async attempt<T>(fn: () => Promise<T>, isolation: string): Promise<T> {
    const client = await this.pool.connect();
    const scope = { client, open: true };
    let broken = false;
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${isolation.toUpperCase()}`);
      let result: T;
      try {
        result = await this.context.run(scope, fn);
      } catch (err) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw err;
      }
      await client.query('COMMIT');
      return result;
    } catch (err) {
      if (!broken && isConnectionError(err)) broken = true;
      throw err;
    } finally {
      scope.open = false;
      client.release(broken ? true : undefined);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /** The open transaction's client, else the pool. */
  private executor(): pg.Pool | pg.PoolClient {
    const scope = this.context.getStore();
    return scope?.open ? scope.client : this.pool;
  }

  private query(sql: string, params?: SqlParams): Promise<pg.QueryResult> {
    const t = toPostgres(sql);
    return this.executor().query(t.text, bindValues(t, params));
  }
}

function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  return code.startsWith('08') || code === '57P01' || code === 'ECONNRESET' || code === 'EPIPE';
}
