import type { SqlDatabase } from '../sql/sql-database.js';
import { nowIso } from '../ids.js';
import { pageBounds } from '../filtered-page.js';
import type { Page, PageQuery } from '../repository.js';
import type { CallFeed } from '../call-feed.js';

/** One line of a call's history: a transcript line, a DTMF digit, a state change. */
export interface CallEventRecord {
  id: number;
  call_id: string;
  at: string;
  type: string;
  data: Record<string, unknown>;
}

type EventRow = Omit<CallEventRecord, 'data'> & { data: string };

function parsed(rows: EventRow[]): CallEventRecord[] {
  return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
}

/** Call history, appended and read back in the order it was written (see `amend`). */
export class CallEventRepository {
  constructor(
    private readonly sql: SqlDatabase,
    private readonly feed?: CallFeed,
  ) {}

  /** A call's events of one type, in order (at most `limit`). */
  async ofType(callId: string, type: string, limit = 500): Promise<CallEventRecord[]> {
    return parsed(
      await this.sql.all<EventRow>(
        'SELECT id, call_id, at, type, data FROM call_events WHERE call_id = ? AND type = ? ORDER BY id LIMIT ?',
        [callId, type, limit],
      ),
    );
  }

  async append(
    callId: string,
    type: string,
    data: Record<string, unknown> = {},
    at = nowIso(),
  ): Promise<CallEventRecord> {
    const row = await this.sql.get<{ id: number }>(
      'INSERT INTO call_events (call_id, at, type, data) VALUES (?, ?, ?, ?) RETURNING id',
      [callId, at, type, JSON.stringify(data)],
    );
    const event = { id: Number(row?.id), call_id: callId, at, type, data };
    this.feed?.publish({ kind: 'event', call_id: callId, event });
    return event;
  }

  /**
   * Replaces the data of one event. The one sanctioned change to history: an agent line written when
   * it began is cut to what the caller heard once it was interrupted (the event keeps its place).
   */
  async amend(callId: string, id: number, data: Record<string, unknown>): Promise<void> {
    await this.sql.run('UPDATE call_events SET data = ? WHERE id = ? AND call_id = ?', [
      JSON.stringify(data),
      id,
      callId,
    ]);
    if (!this.feed?.listening) return;
    const row = await this.sql.get<{ at: string; type: string }>(
      'SELECT at, type FROM call_events WHERE id = ?',
      [id],
    );
    if (row)
      this.feed.publish({ kind: 'event', call_id: callId, event: { id, call_id: callId, ...row, data } });
  }

  async list(callId: string, query: PageQuery = {}): Promise<Page<CallEventRecord>> {
    const { limit, offset } = pageBounds(query);
    const rows = await this.sql.all<EventRow>(
      'SELECT id, call_id, at, type, data FROM call_events WHERE call_id = ? ORDER BY id LIMIT ? OFFSET ?',
      [callId, limit, offset],
    );
    const count = await this.sql.get<{ n: number }>(
      'SELECT count(*) AS n FROM call_events WHERE call_id = ?',
      [callId],
    );
    return { items: parsed(rows), total: count?.n ?? 0, limit, offset };
  }
}
