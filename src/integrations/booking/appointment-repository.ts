import type { SqlDatabase } from '../../store/sql/sql-database.js';
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

// Half-open intervals: an appointment ending at 10:00 does not clash with one starting at 10:00.
const OVERLAP_SQL = `SELECT * FROM appointments WHERE user_id = @user AND status = 'booked'
  AND starts_at < @end AND ends_at > @start AND id != @exclude ORDER BY starts_at LIMIT 1`;
const BETWEEN_SQL = `SELECT * FROM appointments WHERE user_id = @user AND status = 'booked'
  AND starts_at < @end AND ends_at > @start ORDER BY starts_at`;

/** Appointments: the generic table repository plus overlap and date-range queries. */
export class AppointmentRepository extends TableRepository<AppointmentRecord> {
  constructor(sql: SqlDatabase) {
    super(
      sql,
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
  }

  /** The first booked appointment of the user overlapping [start, end), ignoring `excludeId`. */
  async firstOverlap(
    userId: string,
    start: string,
    end: string,
    excludeId = '',
  ): Promise<AppointmentRecord | undefined> {
    return this.hydrate(await this.sql.get(OVERLAP_SQL, { user: userId, start, end, exclude: excludeId }));
  }

  /** Booked appointments of a user that overlap [start, end). */
  async bookedBetween(userId: string, start: string, end: string): Promise<AppointmentRecord[]> {
    const rows = await this.sql.all<Row>(BETWEEN_SQL, { user: userId, start, end });
    return rows.map((r) => this.hydrate(r) as AppointmentRecord);
  }

  async search(query: PageQuery, filter: AppointmentFilter): Promise<Page<AppointmentRecord>> {
    const { limit, offset } = pageBounds(query);
    const keys = (Object.keys(FILTER_SQL) as Array<keyof AppointmentFilter>).filter(
      (k) => filter[k] !== undefined,
    );
    const where = keys.length ? `WHERE ${keys.map((k) => FILTER_SQL[k]).join(' AND ')}` : '';
    const params: Row = {};
    for (const k of keys) params[k] = filter[k];
    const rows = await this.sql.all<Row>(
      `SELECT * FROM appointments ${where} ORDER BY starts_at, id LIMIT @limit OFFSET @offset`,
      { ...params, limit, offset },
    );
    const count = await this.sql.get<{ n: number }>(
      `SELECT count(*) AS n FROM appointments ${where}`,
      params,
    );
    return {
      items: rows.map((r) => this.hydrate(r) as AppointmentRecord),
      total: Number(count?.n ?? 0),
      limit,
      offset,
    };
  }
}
