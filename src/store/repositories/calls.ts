import type { Db } from '../database.js';
import type { Statement } from 'better-sqlite3';
import { TableRepository, type Column, type Page, type PageQuery, type Row } from '../repository.js';
import { pageBounds } from '../filtered-page.js';
import { callChangeKind, type CallFeed } from '../call-feed.js';
import type { CallRecord } from '../store.js';

/** The past calls a list asks for: every field given must hold (an empty field does not filter). */
export interface CallSearch extends PageQuery {
  /** Digits or text found in the calling or the called number. */
  number?: string;
  agent_id?: string;
  contact_id?: string;
  direction?: string;
  state?: string;
  outcome?: string;
  /** The call's disposition (`call_disposition`). */
  disposition?: string;
  /** Started at or after this ISO 8601 instant. */
  started_after?: string;
  /** Started before this ISO 8601 instant. */
  started_before?: string;
}

const EQUAL: ReadonlyArray<readonly [keyof CallSearch, string]> = [
  ['agent_id', 'agent_id'],
  ['contact_id', 'contact_id'],
  ['direction', 'direction'],
  ['state', 'state'],
  ['outcome', 'outcome'],
  ['disposition', 'call_disposition'],
];

/** The calls table: its rows as records, searches over them, and each write told to the change feed. */
export class CallRepository extends TableRepository<CallRecord> {
  /** Page and count statements by WHERE clause (a handful of filter combinations in practice). */
  private readonly searches = new Map<string, { page: Statement; count: Statement }>();

  constructor(
    db: Db,
    columns: Column[],
    private readonly feed: CallFeed,
  ) {
    super(db, 'calls', 'call', 'call', columns, { updatedAt: false, order: 'started_at DESC, id' });
  }

  override create(input: Partial<CallRecord>, id?: string): CallRecord {
    const call = super.create(input, id);
    this.feed.publish({ kind: 'call', change: 'started', call });
    return call;
  }

  override update(id: string, patch: Partial<CallRecord>): CallRecord {
    const call = super.update(id, patch);
    this.feed.publish({ kind: 'call', change: callChangeKind(patch), call });
    return call;
  }

  /** Calls not ended (ringing, answered, handed off), newest first. */
  live(limit = 500): CallRecord[] {
    return this.search({ limit }, 'ended_at IS NULL').items;
  }

  /** A page of calls, newest first, matching every filter given. */
  search(filter: CallSearch, extra?: string): Page<CallRecord> {
    const where: string[] = extra ? [extra] : [];
    const params: Row = {};
    for (const [key, col] of EQUAL) {
      if (filter[key]) {
        where.push(`${col} = @${key}`);
        params[key] = filter[key];
      }
    }
    if (filter.number) {
      // A contained text, not a pattern: LIKE's own wildcards in the value match themselves.
      where.push(`(from_number LIKE @number ESCAPE '\\' OR to_number LIKE @number ESCAPE '\\')`);
      params.number = `%${filter.number.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    }
    if (filter.started_after) {
      where.push('started_at >= @started_after');
      params.started_after = new Date(filter.started_after).toISOString();
    }
    if (filter.started_before) {
      where.push('started_at < @started_before');
      params.started_before = new Date(filter.started_before).toISOString();
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const { limit, offset } = pageBounds(filter);
    const stmts = this.statements(clause);
    const rows = stmts.page.all({ ...params, limit, offset }) as Row[];
    const total = (stmts.count.get(params) as { n: number }).n;
    return { items: rows.map((r) => this.hydrate(r) as CallRecord), total, limit, offset };
  }

  private statements(clause: string): { page: Statement; count: Statement } {
    let found = this.searches.get(clause);
    if (!found) {
      found = {
        page: this.db.prepare(
          `SELECT * FROM calls ${clause} ORDER BY started_at DESC, id LIMIT @limit OFFSET @offset`,
        ),
        count: this.db.prepare(`SELECT count(*) AS n FROM calls ${clause}`),
      };
      this.searches.set(clause, found);
    }
    return found;
  }
}
