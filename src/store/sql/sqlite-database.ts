import { AsyncLocalStorage } from 'node:async_hooks';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../database.js';
import type { RunResult, SqlDatabase, SqlParams, SqlRow } from './sql-database.js';

/**
 * better-sqlite3 behind the asynchronous SqlDatabase port. Statements still run synchronously (SQLite in
 * process is fastest that way); the promise only lets the same repository code run on PostgreSQL.
 *
 * One connection serves every caller, so a transaction that awaits between its statements must keep other
 * callers' statements out of it: while one is open, statements from outside it queue until it ends.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Statement>();
  /**
   * The open transaction the caller runs in. Work started inside a transaction and still running after it
   * ended (a timer, an unawaited promise) keeps this context: `open` is then false and it counts as outside.
   */
  private readonly context = new AsyncLocalStorage<{ open: boolean }>();
  /** Resolves when the open transaction ends; undefined when none is open. */
  private busy: Promise<void> | undefined;

  constructor(readonly db: Db) {}

  get open(): boolean {
    return this.db.open;
  }

  inTransaction(): boolean {
    return this.context.getStore()?.open === true;
  }

  all<T = SqlRow>(sql: string, params?: SqlParams): Promise<T[]> {
    return this.now(() => bind(this.prepare(sql), params, 'all') as T[]);
  }

  get<T = SqlRow>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return this.now(() => bind(this.prepare(sql), params, 'get') as T | undefined);
  }

  run(sql: string, params?: SqlParams): Promise<RunResult> {
    return this.now(() => ({
      changes: (bind(this.prepare(sql), params, 'run') as { changes: number }).changes,
    }));
  }

  exec(sql: string): Promise<void> {
    return this.now(() => {
      this.db.exec(sql);
    });
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.inTransaction()) return fn();
    while (this.busy) await this.busy;
    let end!: () => void;
    this.busy = new Promise<void>((resolve) => (end = resolve));
    const scope = { open: true };
    try {
      this.db.exec('BEGIN IMMEDIATE');
      let result: T;
      try {
        result = await this.context.run(scope, fn);
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
      this.db.exec('COMMIT');
      return result;
    } finally {
      scope.open = false;
      this.busy = undefined;
      end();
    }
  }

  async close(): Promise<void> {
    while (this.busy) await this.busy;
    if (this.db.open) this.db.close();
  }

  /**
   * Runs `work` now when the caller is inside the open transaction or none is open, else once it ends.
   * The check and the statement run in one synchronous step, so no transaction can open between them.
   */
  private now<T>(work: () => T): Promise<T> {
    if (this.busy && !this.inTransaction()) return this.afterOthers(work);
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  private async afterOthers<T>(work: () => T): Promise<T> {
    while (this.busy) await this.busy;
    return work();
  }

  private prepare(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      // Schema changes between runs reprepare statements inside better-sqlite3; the cache only saves parsing.
      if (this.statements.size > 2000) this.statements.clear();
      this.statements.set(sql, stmt);
    }
    return stmt;
  }
}

function bind(stmt: Statement, params: SqlParams | undefined, how: 'all' | 'get' | 'run'): unknown {
  if (params === undefined) return stmt[how]();
  if (Array.isArray(params)) return stmt[how](...(params as unknown[]));
  return stmt[how](params);
}
