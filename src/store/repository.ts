import type { SqlDatabase } from './sql/sql-database.js';
import { newId, nowIso } from './ids.js';
import { pageBounds } from './filtered-page.js';
import { CallwrightError, notFound } from '../errors.js';

/** How a column maps between the database and the record objects. */
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

/**
 * Which column a unique violation names, on SQLite (`UNIQUE constraint failed: t.a, t.b`) or PostgreSQL
 * (`Key (a, b)=`). For a unique pair both engines name the last column (`code` of scope + code): the one
 * that varies within the first.
 */
function uniqueField(e: { message?: string; detail?: string }): string {
  return (
    /UNIQUE constraint failed: (?:\w+\.\w+, )*\w+\.(\w+)/.exec(e.message ?? '')?.[1] ??
    /Key \((?:\w+, )*?(\w+)\)=/.exec(e.detail ?? '')?.[1] ??
    'id'
  );
}

/** Maps SQLite and PostgreSQL constraint failures to errors a user can act on. */
export function constraintError(err: unknown, entity: string): never {
  const e = err as { code?: string; message?: string; detail?: string };
  if (
    e.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    e.code === '23505'
  ) {
    const field = uniqueField(e);
    throw new CallwrightError('CONFLICT', `${entity} with this ${field} already exists`, [
      { field, expected: 'a value not used by another ' + entity },
    ]);
  }
  if (e.code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || e.code === '23503') {
    throw new CallwrightError('VALIDATION', `${entity} refers to a record that does not exist`, [
      { field: 'reference', expected: 'the id of an existing record' },
    ]);
  }
  throw err;
}

/**
 * A table of records with a prefixed text id and created/updated timestamps, on either database engine
 * (the SQL is the subset both share; see sql/sql-database.ts).
 */
export class TableRepository<T extends Row> {
  protected readonly byName: Map<string, Column>;
  /** Default order: oldest first; rows written in the same millisecond keep their insertion order (rowid). */
  private readonly order: string;

  constructor(
    protected readonly sql: SqlDatabase,
    readonly table: string,
    readonly entity: string,
    readonly idPrefix: string,
    readonly columns: Column[],
    private readonly options: { updatedAt?: boolean; order?: string } = {},
  ) {
    this.byName = new Map(columns.map((c) => [c.name, c]));
    this.order = options.order ?? 'created_at, rowid';
  }

  protected hydrate(row: Row | undefined): T | undefined {
    if (!row) return undefined;
    const out: Row = {};
    for (const [k, v] of Object.entries(row)) {
      // PostgreSQL tables carry an explicit `rowid` column for insertion order; SQLite's is hidden.
      if (k === 'rowid') continue;
      const col = this.byName.get(k);
      out[k] = col ? fromDb(col, v) : v;
    }
    return out as T;
  }

  async get(id: string): Promise<T | undefined> {
    return this.hydrate(await this.sql.get(`SELECT * FROM ${this.table} WHERE id = ?`, [id]));
  }

  async require(id: string): Promise<T> {
    const found = await this.get(id);
    if (!found) throw notFound(this.entity, id);
    return found;
  }

  async findBy(column: string, value: unknown): Promise<T | undefined> {
    if (!this.byName.has(column) && column !== 'id') throw new Error(`unknown column ${column}`);
    return this.hydrate(await this.sql.get(`SELECT * FROM ${this.table} WHERE ${column} = ?`, [value]));
  }

  /** A record by id, else by its `name` column (API and CLI arguments accept either). */
  async byIdOrName(ref: string): Promise<T | undefined> {
    return (await this.get(ref)) ?? (await this.findBy('name', ref));
  }

  /** A page of records; `where` keeps only rows whose columns equal the given values (undefined = no filter). */
  async list(query: PageQuery = {}, where: Row = {}): Promise<Page<T>> {
    const { limit, offset } = pageBounds(query);
    const filters = Object.keys(where).filter((k) => where[k] !== undefined);
    for (const f of filters) if (!this.byName.has(f)) throw new Error(`unknown column ${f}`);
    const clause = filters.length ? ' WHERE ' + filters.map((f) => `${f} = @${f}`).join(' AND ') : '';
    const params: Row = {};
    for (const f of filters) params[f] = toDb(this.byName.get(f) as Column, where[f]);
    const rows = await this.sql.all<Row>(
      `SELECT * FROM ${this.table}${clause} ORDER BY ${this.order} LIMIT @limit OFFSET @offset`,
      { ...params, limit, offset },
    );
    const count = await this.sql.get<{ n: number }>(
      `SELECT count(*) AS n FROM ${this.table}${clause}`,
      params,
    );
    return { items: rows.map((r) => this.hydrate(r) as T), total: count?.n ?? 0, limit, offset };
  }

  async all(): Promise<T[]> {
    const rows = await this.sql.all<Row>(`SELECT * FROM ${this.table} ORDER BY ${this.order}`);
    return rows.map((r) => this.hydrate(r) as T);
  }

  async create(input: Partial<T>, id?: string): Promise<T> {
    const now = nowIso();
    const record: Row = { id: id ?? newId(this.idPrefix), created_at: now };
    if (this.options.updatedAt !== false) record.updated_at = now;
    for (const col of this.columns) {
      if (input[col.name] !== undefined) record[col.name] = toDb(col, input[col.name]);
    }
    // Columns not given are left out of the INSERT so the table's defaults apply.
    const names = ['id', 'created_at', 'updated_at', ...this.columns.map((c) => c.name)];
    const present = names.filter((n) => record[n] !== undefined);
    const params: Row = {};
    for (const k of present) params[k] = record[k];
    try {
      await this.sql.run(
        `INSERT INTO ${this.table} (${present.join(', ')}) VALUES (${present.map((n) => `@${n}`).join(', ')})`,
        params,
      );
    } catch (err) {
      constraintError(err, this.entity);
    }
    return this.require(String(record.id));
  }

  async update(id: string, patch: Partial<T>): Promise<T> {
    const changed = this.columns.filter((c) => patch[c.name] !== undefined);
    if (changed.length === 0) return this.require(id);
    const names = changed.map((c) => c.name);
    if (this.options.updatedAt !== false) names.push('updated_at');
    const params: Row = { id };
    for (const c of changed) params[c.name] = toDb(c, patch[c.name]);
    if (this.options.updatedAt !== false) params.updated_at = nowIso();
    let info;
    try {
      info = await this.sql.run(
        `UPDATE ${this.table} SET ${names.map((n) => `${n} = @${n}`).join(', ')} WHERE id = @id`,
        params,
      );
    } catch (err) {
      constraintError(err, this.entity);
    }
    if (info.changes === 0) throw notFound(this.entity, id);
    return this.require(id);
  }

  async delete(id: string): Promise<void> {
    const info = await this.sql.run(`DELETE FROM ${this.table} WHERE id = ?`, [id]);
    if (info.changes === 0) throw notFound(this.entity, id);
  }
}
