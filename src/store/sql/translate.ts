/**
 * Rewrites the shared SQL the repositories write (SQLite spelling, `?` and `@name` parameters) into
 * PostgreSQL: `$n` parameters, `INSERT OR IGNORE` as `ON CONFLICT DO NOTHING`, case-insensitive LIKE as
 * ILIKE (SQLite's LIKE ignores ASCII case). Quoted strings, quoted identifiers and comments are left
 * untouched. Statements are translated once and cached by text.
 */
import type { SqlParams } from './sql-database.js';

export interface Translated {
  text: string;
  /** Where each `$n` takes its value from: an index into positional params or a name. */
  order: Array<number | string>;
}

const cache = new Map<string, Translated>();

export function toPostgres(sql: string): Translated {
  let hit = cache.get(sql);
  if (!hit) {
    hit = translate(sql);
    if (cache.size > 5000) cache.clear();
    cache.set(sql, hit);
  }
  return hit;
}

function translate(sql: string): Translated {
  const order: Array<number | string> = [];
  const named = new Map<string, number>();
  let out = '';
  let positional = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    if (c === "'" || c === '"') {
      const end = closing(sql, i, c);
      out += sql.slice(i, end);
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '?') {
      order.push(positional++);
      out += `$${order.length}`;
      i++;
    } else if (
      (c === '@' || c === ':' || c === '$') &&
      /[A-Za-z_]/.test(sql[i + 1] ?? '') &&
      sql[i - 1] !== ':'
    ) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1)) as RegExpExecArray;
      const name = m[0];
      let n = named.get(name);
      if (n === undefined) {
        order.push(name);
        n = order.length;
        named.set(name, n);
      }
      out += `$${n}`;
      i += 1 + name.length;
    } else {
      out += c;
      i++;
    }
  }
  return { text: rewriteWords(out), order };
}

function closing(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

/** The spellings that differ, outside strings (parameters are already `$n`, so no string holds them). */
function rewriteWords(sql: string): string {
  let text = sql;
  if (/INSERT\s+OR\s+IGNORE/i.test(text)) {
    text = text.replace(/INSERT\s+OR\s+IGNORE/i, 'INSERT');
    text = /\bRETURNING\b/i.test(text)
      ? text.replace(/\s+RETURNING\b/i, ' ON CONFLICT DO NOTHING RETURNING')
      : text.replace(/;?\s*$/, ' ON CONFLICT DO NOTHING');
  }
  return text.replace(/\bNOT\s+LIKE\b/gi, 'NOT ILIKE').replace(/(?<!NOT\s+|I)\bLIKE\b/gi, 'ILIKE');
}

/** The values for a translated statement, in `$n` order. */
export function bindValues(t: Translated, params: SqlParams | undefined): unknown[] {
  if (params === undefined) return [];
  if (Array.isArray(params)) return t.order.map((k) => (params as unknown[])[k as number]);
  const byName = params as Record<string, unknown>;
  return t.order.map((k) => {
    if (typeof k === 'number') throw new Error('statement mixes ? with named parameters');
    if (!(k in byName)) throw new Error(`missing SQL parameter @${k}`);
    return byName[k];
  });
}
