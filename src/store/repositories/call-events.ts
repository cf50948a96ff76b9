import type { Statement } from 'better-sqlite3';
import type { Db } from '../database.js';
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

/** Call history, appended and read back in the order it was written (see `amend`). */
export class CallEventRepository {
  private readonly insert: Statement;
  private readonly amendData: Statement;
  private readonly page: Statement;
  private readonly count: Statement;
  private readonly byType: Statement;
  private readonly one: Statement;

  constructor(
    db: Db,
    private readonly feed?: CallFeed,
  ) {
    this.insert = db.prepare('INSERT INTO call_events (call_id, at, type, data) VALUES (?, ?, ?, ?)');
    this.amendData = db.prepare('UPDATE call_events SET data = ? WHERE id = ? AND call_id = ?');
    this.page = db.prepare('SELECT * FROM call_events WHERE call_id = ? ORDER BY id LIMIT ? OFFSET ?');
    this.count = db.prepare('SELECT count(*) AS n FROM call_events WHERE call_id = ?');
    this.byType = db.prepare('SELECT * FROM call_events WHERE call_id = ? AND type = ? ORDER BY id LIMIT ?');
    this.one = db.prepare('SELECT at, type FROM call_events WHERE id = ?');
  }

  /** A call's events of one type, in order (at most `limit`). */
  ofType(callId: string, type: string, limit = 500): CallEventRecord[] {
    const rows = this.byType.all(callId, type, limit) as Array<
      Omit<CallEventRecord, 'data'> & { data: string }
    >;
    return rows.map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
  }

  append(callId: string, type: string, data: Record<string, unknown> = {}, at = nowIso()): CallEventRecord {
    const info = this.insert.run(callId, at, type, JSON.stringify(data));
    const event = { id: Number(info.lastInsertRowid), call_id: callId, at, type, data };
    this.feed?.publish({ kind: 'event', call_id: callId, event });
    return event;
  }

  /**
   * Replaces the data of one event. The one sanctioned change to history: an agent line written when
   * it began is cut to what the caller heard once it was interrupted (the event keeps its place).
   */
  amend(callId: string, id: number, data: Record<string, unknown>): void {
    this.amendData.run(JSON.stringify(data), id, callId);
    if (!this.feed?.listening) return;
    const row = this.one.get(id) as { at: string; type: string } | undefined;
    if (row)
      this.feed.publish({ kind: 'event', call_id: callId, event: { id, call_id: callId, ...row, data } });
  }

  list(callId: string, query: PageQuery = {}): Page<CallEventRecord> {
    const { limit, offset } = pageBounds(query);
    const rows = this.page.all(callId, limit, offset) as Array<
      Omit<CallEventRecord, 'data'> & { data: string }
    >;
    const total = (this.count.get(callId) as { n: number }).n;
    return {
      items: rows.map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> })),
      total,
      limit,
      offset,
    };
  }
}
