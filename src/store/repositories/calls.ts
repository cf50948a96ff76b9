import type { SqlDatabase } from '../sql/sql-database.js';
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
  constructor(
    sql: SqlDatabase,
    columns: Column[],
    private readonly feed: CallFeed,
    private readonly nodeId: () => string | null = () => null,
  ) {
    super(sql, 'calls', 'call', 'call', columns, { updatedAt: false, order: 'started_at DESC, id' });
  }

  override async create(input: Partial<CallRecord>, id?: string): Promise<CallRecord> {
    const node = input.node_id ?? this.nodeId();
    const call = await super.create(node ? { ...input, node_id: node } : input, id);
    this.feed.publish({ kind: 'call', change: 'started', call });
    return call;
  }

  override async update(id: string, patch: Partial<CallRecord>): Promise<CallRecord> {
    const call = await super.update(id, patch);
    this.feed.publish({ kind: 'call', change: callChangeKind(patch), call });
    return call;
  }

  /** Calls not ended (ringing, answered, handed off), newest first. */
  async live(limit = 500): Promise<CallRecord[]> {
    return (await this.search({ limit }, 'ended_at IS NULL')).items;
  }

  /** A page of calls, newest first, matching every filter given. */
  async search(filter: CallSearch, extra?: string): Promise<Page<CallRecord>> {
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
    const rows = await this.sql.all<Row>(
      `SELECT * FROM calls ${clause} ORDER BY started_at DESC, id LIMIT @limit OFFSET @offset`,
      { ...params, limit, offset },
    );
    const count = await this.sql.get<{ n: number }>(`SELECT count(*) AS n FROM calls ${clause}`, params);
    return { items: rows.map((r) => this.hydrate(r) as CallRecord), total: count?.n ?? 0, limit, offset };
  }
}
