import type { Statement } from 'better-sqlite3';
import type { Db } from '../../store/database.js';
import { pageBounds } from '../../store/filtered-page.js';
import { TableRepository, type Page, type PageQuery, type Row } from '../../store/repository.js';

/** One row of `appointments`; instants are ISO 8601 UTC strings (`toISOString()`), so they sort as text. */
export interface AppointmentRecord extends Row {
  id: string;
  user_id: string;
  contact_id: string | null;
  call_id: string | null;
  starts_at: string;
  ends_at: string;
  /** The caller's zone at booking time (the user's zone is on the user). */
  timezone: string;
  title: string;
  notes: string;
  status: 'booked' | 'cancelled';
  /** The event's UID in an external calendar, when one holds it. */
  external_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface AppointmentFilter {
  user_id?: string;
  contact_id?: string;
  call_id?: string;
  status?: 'booked' | 'cancelled';
  /** Appointments starting at or after this instant (ISO). */
  from?: string;
  /** Appointments starting before this instant (ISO). */
  to?: string;
}

const FILTER_SQL: Record<keyof AppointmentFilter, string> = {
  user_id: 'user_id = @user_id',
  contact_id: 'contact_id = @contact_id',
  call_id: 'call_id = @call_id',
  status: 'status = @status',
  from: 'starts_at >= @from',
  to: 'starts_at < @to',
};

/** Appointments: the generic table repository plus overlap and date-range queries. */
export class AppointmentRepository extends TableRepository<AppointmentRecord> {
  private readonly overlapStmt: Statement;
  private readonly betweenStmt: Statement;
  private readonly filtered = new Map<string, { page: Statement; count: Statement }>();

  constructor(db: Db) {
    super(
      db,
      'appointments',
      'appointment',
      'apt',
      [
        { name: 'user_id' },
        { name: 'contact_id' },
        { name: 'call_id' },
        { name: 'starts_at' },
        { name: 'ends_at' },
        { name: 'timezone' },
        { name: 'title' },
        { name: 'notes' },
        { name: 'status' },
        { name: 'external_id' },
      ],
      { order: 'starts_at, id' },
    );
    // Half-open intervals: an appointment ending at 10:00 does not clash with one starting at 10:00.
    this.overlapStmt = db.prepare(
      `SELECT * FROM appointments WHERE user_id = @user AND status = 'booked'
       AND starts_at < @end AND ends_at > @start AND id != @exclude ORDER BY starts_at LIMIT 1`,
    );
    this.betweenStmt = db.prepare(
      `SELECT * FROM appointments WHERE user_id = @user AND status = 'booked'
       AND starts_at < @end AND ends_at > @start ORDER BY starts_at`,
    );
  }

  /** The first booked appointment of the user overlapping [start, end), ignoring `excludeId`. */
  firstOverlap(userId: string, start: string, end: string, excludeId = ''): AppointmentRecord | undefined {
    return this.hydrate(this.overlapStmt.get({ user: userId, start, end, exclude: excludeId }) as Row);
  }

  /** Booked appointments of a user that overlap [start, end). */
  bookedBetween(userId: string, start: string, end: string): AppointmentRecord[] {
    return (this.betweenStmt.all({ user: userId, start, end }) as Row[]).map(
      (r) => this.hydrate(r) as AppointmentRecord,
    );
  }

  search(query: PageQuery, filter: AppointmentFilter): Page<AppointmentRecord> {
    const { limit, offset } = pageBounds(query);
    const keys = (Object.keys(FILTER_SQL) as Array<keyof AppointmentFilter>).filter(
      (k) => filter[k] !== undefined,
    );
    const key = keys.join(',');
    let stmts = this.filtered.get(key);
    if (!stmts) {
      const where = keys.length ? `WHERE ${keys.map((k) => FILTER_SQL[k]).join(' AND ')}` : '';
      stmts = {
        page: this.db.prepare(
          `SELECT * FROM appointments ${where} ORDER BY starts_at, id LIMIT @limit OFFSET @offset`,
        ),
        count: this.db.prepare(`SELECT count(*) AS n FROM appointments ${where}`),
      };
      this.filtered.set(key, stmts);
    }
    const params: Row = {};
    for (const k of keys) params[k] = filter[k];
    const rows = stmts.page.all({ ...params, limit, offset }) as Row[];
    const total = (stmts.count.get(params) as { n: number }).n;
    return { items: rows.map((r) => this.hydrate(r) as AppointmentRecord), total, limit, offset };
  }
}
