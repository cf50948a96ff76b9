import type { SqlDatabase } from './sql/sql-database.js';
import type { Page, PageQuery } from './repository.js';

/** The page an API query asks for: 50 rows unless told, never more than 500, never before the first. */
export function pageBounds(query: PageQuery): { limit: number; offset: number } {
  return {
    limit: Math.min(Math.max(query.limit ?? 50, 1), 500),
    offset: Math.max(query.offset ?? 0, 0),
  };
}

/** How to page through one table: its name, its ORDER BY, and which filter field matches which column. */
export interface FilteredTable<F> {
  table: string;
  orderBy: string;
  /** Filter field → column; a field that is unset or empty does not filter. */
  columns: ReadonlyArray<readonly [keyof F & string, string]>;
}

/** A page of rows whose columns equal every filter value given, with the total count of such rows. */
export async function filteredPage<F extends PageQuery, Raw, T>(
  sql: SqlDatabase,
  spec: FilteredTable<F>,
  filter: F,
  hydrate: (raw: Raw) => T,
): Promise<Page<T>> {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  for (const [key, col] of spec.columns) {
    if (filter[key]) {
      where.push(`${col} = @${key}`);
      params[key] = filter[key];
    }
  }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const { limit, offset } = pageBounds(filter);
  const rows = await sql.all<Raw>(
    `SELECT * FROM ${spec.table} ${clause} ORDER BY ${spec.orderBy} LIMIT @limit OFFSET @offset`,
    { ...params, limit, offset },
  );
  const total = await sql.get<{ n: number }>(`SELECT count(*) AS n FROM ${spec.table} ${clause}`, params);
  return { items: rows.map(hydrate), total: Number(total?.n ?? 0), limit, offset };
}
