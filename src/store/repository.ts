import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import { newId, nowIso } from './ids.js';
import { pageBounds } from './filtered-page.js';
import { CallwrightError, notFound } from '../errors.js';

/** How a column maps between SQLite and the record objects. */
export interface Column {
  name: string;
  kind?: 'text' | 'int' | 'bool' | 'json';
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface PageQuery {
  limit?: number;
  offset?: number;
}

export type Row = Record<string, unknown>;

export function toDb(col: Column, value: unknown): unknown {
  if (value === undefined) return undefined;
  switch (col.kind) {
    case 'json':
      return JSON.stringify(value ?? null);
    case 'bool':
      return value ? 1 : 0;
    default:
      return value;
  }
}

export function fromDb(col: Column, value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  switch (col.kind) {
    case 'json':
      return JSON.parse(String(value));
    case 'bool':
      return value === 1 || value === true;
    default:
      return value;
  }
}

/** Maps SQLite constraint failures to errors a user can act on. */
export function constraintError(err: unknown, entity: string): never {
  const e = err as { code?: string; message?: string };
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const field = /UNIQUE constraint failed: \w+\.(\w+)/.exec(e.message ?? '')?.[1] ?? 'id';
    throw new CallwrightError('CONFLICT', `${entity} with this ${field} already exists`, [
      { field, expected: 'a value not used by another ' + entity },
    ]);
  }
  if (e.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    throw new CallwrightError('VALIDATION', `${entity} refers to a record that does not exist`, [
      { field: 'reference', expected: 'the id of an existing record' },
    ]);
  }
  throw err;
}

/**
 * A table of records with a prefixed text id and created/updated timestamps.
 * Statements are prepared once (updates once per set of changed columns) and run synchronously.
 */
export class TableRepository<T extends Row> {
  protected readonly byName: Map<string, Column>;
  private readonly getStmt: Statement;
  private readonly deleteStmt: Statement;
  private readonly countStmt: Statement;
  private readonly pageStmt: Statement;
  private readonly updates = new Map<string, Statement>();
  private readonly finds = new Map<string, Statement>();
  /** Default order: oldest first; rows written in the same millisecond keep their insertion order (rowid). */
  private readonly order: string;

  constructor(
    protected readonly db: Db,
    readonly table: string,
    readonly entity: string,
    readonly idPrefix: string,
    readonly columns: Column[],
    private readonly options: { updatedAt?: boolean; order?: string } = {},
  ) {
    this.byName = new Map(columns.map((c) => [c.name, c]));
    this.order = options.order ?? 'created_at, rowid';
    this.getStmt = db.prepare(`SELECT * FROM ${table} WHERE id = ?`);
    this.deleteStmt = db.prepare(`DELETE FROM ${table} WHERE id = ?`);
    this.countStmt = db.prepare(`SELECT count(*) AS n FROM ${table}`);
    this.pageStmt = db.prepare(`SELECT * FROM ${table} ORDER BY ${this.order} LIMIT ? OFFSET ?`);
  }

  protected hydrate(row: Row | undefined): T | undefined {
    if (!row) return undefined;
    const out: Row = {};
    for (const [k, v] of Object.entries(row)) {
      const col = this.byName.get(k);
      out[k] = col ? fromDb(col, v) : v;
    }
    return out as T;
  }

  get(id: string): T | undefined {
    return this.hydrate(this.getStmt.get(id) as Row | undefined);
  }

  require(id: string): T {
    const found = this.get(id);
    if (!found) throw notFound(this.entity, id);
    return found;
  }

  findBy(column: string, value: unknown): T | undefined {
    if (!this.byName.has(column) && column !== 'id') throw new Error(`unknown column ${column}`);
    let stmt = this.finds.get(column);
    if (!stmt) {
      stmt = this.db.prepare(`SELECT * FROM ${this.table} WHERE ${column} = ?`);
      this.finds.set(column, stmt);
    }
    return this.hydrate(stmt.get(value) as Row | undefined);
  }

  /** A record by id, else by its `name` column (API and CLI arguments accept either). */
  byIdOrName(ref: string): T | undefined {
    return this.get(ref) ?? this.findBy('name', ref);
  }

  /** A page of records; `where` keeps only rows whose columns equal the given values (undefined = no filter). */
  list(query: PageQuery = {}, where: Row = {}): Page<T> {
    const { limit, offset } = pageBounds(query);
    const filters = Object.keys(where).filter((k) => where[k] !== undefined);
    if (filters.length > 0) return this.filteredPage(filters, where, limit, offset);
    const rows = this.pageStmt.all(limit, offset) as Row[];
    const total = (this.countStmt.get() as { n: number }).n;
    return { items: rows.map((r) => this.hydrate(r) as T), total, limit, offset };
  }

  private filteredPage(filters: string[], where: Row, limit: number, offset: number): Page<T> {
    for (const f of filters) if (!this.byName.has(f)) throw new Error(`unknown column ${f}`);
    const key = 'page:' + filters.join(',');
    let page = this.updates.get(key);
    let count = this.updates.get('count:' + key);
    if (!page || !count) {
      const clause = filters.map((f) => `${f} = @${f}`).join(' AND ');
      page = this.db.prepare(
        `SELECT * FROM ${this.table} WHERE ${clause} ORDER BY ${this.order} LIMIT @limit OFFSET @offset`,
      );
      count = this.db.prepare(`SELECT count(*) AS n FROM ${this.table} WHERE ${clause}`);
      this.updates.set(key, page);
      this.updates.set('count:' + key, count);
    }
    const params: Row = {};
    for (const f of filters) params[f] = toDb(this.byName.get(f) as Column, where[f]);
    const rows = page.all({ ...params, limit, offset }) as Row[];
    const total = (count.get(params) as { n: number }).n;
    return { items: rows.map((r) => this.hydrate(r) as T), total, limit, offset };
  }

  all(): T[] {
    return (this.db.prepare(`SELECT * FROM ${this.table} ORDER BY ${this.order}`).all() as Row[]).map(
      (r) => this.hydrate(r) as T,
    );
  }

  create(input: Partial<T>, id?: string): T {
    const now = nowIso();
    const record: Row = { id: id ?? newId(this.idPrefix), created_at: now };
    if (this.options.updatedAt !== false) record.updated_at = now;
    for (const col of this.columns) {
      if (input[col.name] !== undefined) record[col.name] = toDb(col, input[col.name]);
    }
    // Columns not given are left out of the INSERT so the table's defaults apply.
    const bound: Row = {};
    for (const n of ['id', 'created_at', 'updated_at', ...this.columns.map((c) => c.name)])
      bound[n] = record[n];
    try {
      this.insertWithDefaults(bound);
    } catch (err) {
      constraintError(err, this.entity);
    }
    return this.require(String(record.id));
  }

  private insertWithDefaults(bound: Row): void {
    const present = Object.keys(bound).filter((k) => bound[k] !== undefined);
    const key = 'insert:' + present.join(',');
    let stmt = this.updates.get(key);
    if (!stmt) {
      stmt = this.db.prepare(
        `INSERT INTO ${this.table} (${present.join(', ')}) VALUES (${present.map((n) => `@${n}`).join(', ')})`,
      );
      this.updates.set(key, stmt);
    }
    const params: Row = {};
    for (const k of present) params[k] = bound[k];
    stmt.run(params);
  }

  update(id: string, patch: Partial<T>): T {
    const changed = this.columns.filter((c) => patch[c.name] !== undefined);
    if (changed.length === 0) return this.require(id);
    const names = changed.map((c) => c.name);
    if (this.options.updatedAt !== false) names.push('updated_at');
    const key = names.join(',');
    let stmt = this.updates.get(key);
    if (!stmt) {
      stmt = this.db.prepare(
        `UPDATE ${this.table} SET ${names.map((n) => `${n} = @${n}`).join(', ')} WHERE id = @id`,
      );
      this.updates.set(key, stmt);
    }
    const params: Row = { id };
    for (const c of changed) params[c.name] = toDb(c, patch[c.name]);
    if (this.options.updatedAt !== false) params.updated_at = nowIso();
    let info;
    try {
      info = stmt.run(params);
    } catch (err) {
      constraintError(err, this.entity);
    }
    if (info.changes === 0) throw notFound(this.entity, id);
    return this.require(id);
  }

  delete(id: string): void {
    const info = this.deleteStmt.run(id);
    if (info.changes === 0) throw notFound(this.entity, id);
  }
}
