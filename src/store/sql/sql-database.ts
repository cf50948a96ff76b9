/**
 * The one seam between the repositories and a database engine. Repositories write SQL once, in the
 * subset SQLite and PostgreSQL share, with `?` or `@name` parameters; an adapter runs it (the PostgreSQL
 * one rewrites parameters to `$n` and the few spellings that differ, see translate.ts).
 *
 * Every call is asynchronous. Inside `transaction(fn)` every query made by `fn` — through this object or
 * any repository built on it — runs in that transaction (the adapters track it with AsyncLocalStorage),
 * so code written for one statement at a time composes into atomic units without passing a handle around.
 */
export type SqlParams = readonly unknown[] | Readonly<Record<string, unknown>>;

export type SqlRow = Record<string, unknown>;

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

export type Dialect = 'sqlite' | 'postgres';

export interface SqlExecutor {
  readonly dialect: Dialect;
  all<T = SqlRow>(sql: string, params?: SqlParams): Promise<T[]>;
  get<T = SqlRow>(sql: string, params?: SqlParams): Promise<T | undefined>;
  run(sql: string, params?: SqlParams): Promise<RunResult>;
}

export interface TransactionOptions {
  /**
   * PostgreSQL isolation level (default SERIALIZABLE, retried on conflicts: see PostgresDatabase). SQLite
   * transactions are always serializable (BEGIN IMMEDIATE takes the write lock up front).
   */
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
}

export interface SqlDatabase extends SqlExecutor {
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. A transaction
   * opened inside another joins it (no savepoints: the outer one commits or rolls back everything).
   * On PostgreSQL `fn` may run more than once (a serialization conflict retries it): keep it to
   * database work.
   */
  transaction<T>(fn: () => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** True while the caller runs inside `transaction`. */
  inTransaction(): boolean;
  /** Several statements separated by semicolons, no parameters (schema changes). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
  readonly open: boolean;
}
