import type { BookingSettings } from '../../config/schema.js';
import { CallwrightError } from '../../errors.js';
import type { ContactRecord, Store, UserRecord } from '../../store/store.js';
import type { CalendarLookup } from '../calendar/calendar-directory.js';
import { CalendarError, type BusyPeriod, type ExternalCalendar } from '../calendar/external-calendar.js';
import { AppointmentRepository, type AppointmentRecord } from './appointment-repository.js';
import { appointmentUid, calendarEventOf, writeInvite, type Invite } from './appointment-invite.js';
import {
  hasHours,
  normaliseHours,
  overlaps,
  slotsOfDay,
  withinHours,
  type Interval,
  type WorkingHours,
} from './working-hours.js';
import {
  addDays,
  isTimeZone,
  localParts,
  parseInstant,
  parseIsoDate,
  zonedToUtc,
} from '../../util/zoned-time.js';

export type BookingOptions = Pick<
  BookingSettings,
  | 'horizon_days'
  | 'min_notice_minutes'
  | 'max_slots'
  | 'default_slot_minutes'
  | 'default_working_hours'
  | 'organizer_email'
>;

export interface BookingDeps {
  store: Store;
  options: BookingOptions;
  /** Folder for ICS files; empty = invites are returned as text only. */
  icsDir: string;
  calendars?: CalendarLookup;
  now?: () => number;
}

export interface AvailabilityQuery {
  user: string;
  /** First local date to look at, `YYYY-MM-DD` in `zone` (default today). */
  date?: string;
  days?: number;
  limit?: number;
  /** Zone of `date` (the caller's); default the user's. */
  zone?: string;
  signal?: AbortSignal;
}

export interface BookRequest {
  user: string;
  /** ISO 8601 instant with offset or Z. */
  start: string;
  /** The caller's zone, kept on the appointment. */
  zone?: string;
  contactId?: string;
  callId?: string;
  title?: string;
  notes?: string;
  signal?: AbortSignal;
}

export interface BookingResult {
  appointment: AppointmentRecord;
  user: UserRecord;
  contact?: ContactRecord;
  invite: Invite;
}

const DAY = 86400000;

/**
 * The built-in calendar: each user's working hours and slot length in the user's zone, appointments in
 * the store, and optionally an external calendar whose busy times block slots and which receives bookings.
 * The slot claim is one transaction (check overlap + write), so two bookings of the same slot, even from
 * two processes on the same database, cannot both succeed: SQLite runs the transactions one at a time
 * (BEGIN IMMEDIATE); on PostgreSQL the appointments table's exclusion constraint refuses the second one,
 * which gets the same CONFLICT as a clash the check saw.
 */
export class BookingService {
  readonly appointments: AppointmentRepository;
  private readonly now: () => number;

  constructor(private readonly deps: BookingDeps) {
    this.appointments = new AppointmentRepository(deps.store.sql);
    this.now = deps.now ?? Date.now;
  }

  /** A user by id or name; NOT_FOUND names the field. */
  async user(ref: string, field = 'user'): Promise<UserRecord> {
    const user = (await this.deps.store.users.get(ref)) ?? (await this.deps.store.users.findBy('name', ref));
    if (!user) {
      throw new CallwrightError('NOT_FOUND', `${field}: no user with id or name ${JSON.stringify(ref)}`, [
        { field, value: ref, expected: 'the id or name of an existing user' },
      ]);
    }
    return user;
  }

  zoneOf(user: UserRecord): string {
    return user.timezone && isTimeZone(user.timezone) ? user.timezone : 'UTC';
  }

  hoursOf(user: UserRecord): WorkingHours {
    const own = normaliseHours(user.working_hours);
    return hasHours(own) ? own : normaliseHours(this.deps.options.default_working_hours);
  }

  slotMinutesOf(user: UserRecord): number {
    return user.slot_minutes > 0 ? user.slot_minutes : this.deps.options.default_slot_minutes;
  }

  calendarOf(user: UserRecord): ExternalCalendar | undefined {
    return this.deps.calendars?.(user);
  }

  /** Free slots from `date` on, within the booking horizon, minus appointments and external busy times. */
  async availability(q: AvailabilityQuery): Promise<{ user: UserRecord; slots: Interval[] }> {
    const user = await this.user(q.user);
    const userZone = this.zoneOf(user);
    const zone = checkZone(q.zone ?? userZone, 'timezone');
    const now = this.now();
    const earliest = now + this.deps.options.min_notice_minutes * 60000;
    const horizonEnd = now + this.deps.options.horizon_days * DAY;
    let from = earliest;
    if (q.date) {
      const date = parseIsoDate(q.date);
      if (!date) throw invalid('date', q.date, 'a date as YYYY-MM-DD');
      from = Math.max(from, zonedToUtc({ ...date, hour: 0, minute: 0 }, zone));
    }
    const days = Math.max(
      1,
      Math.min(q.days ?? this.deps.options.horizon_days, this.deps.options.horizon_days),
    );
    const fromDay = localParts(from, zone);
    const until = Math.min(horizonEnd, zonedToUtc({ ...addDays(fromDay, days), hour: 0, minute: 0 }, zone));
    if (until <= from) return { user, slots: [] };
    const busy = await this.busy(user, { start: from, end: until }, q.signal);
    const limit = Math.max(1, Math.min(q.limit ?? this.deps.options.max_slots, 200));
    const slots: Interval[] = [];
    // Walk the user's local dates (a day either side: the caller's day may straddle two of them).
    const first = addDays(localParts(from, userZone), -1);
    for (let i = 0; i <= days + 2 && slots.length < limit; i++) {
      for (const slot of slotsOfDay(
        addDays(first, i),
        this.hoursOf(user),
        userZone,
        this.slotMinutesOf(user),
      )) {
        if (slot.start < from || slot.start >= until) continue;
        if (busy.some((b) => overlaps(b, slot))) continue;
        slots.push(slot);
        if (slots.length >= limit) break;
      }
    }
    return { user, slots };
  }

  /** Books one slot; CONFLICT when taken, VALIDATION when outside hours, notice or horizon. */
  async book(req: BookRequest): Promise<BookingResult> {
    const user = await this.user(req.user);
    const interval = this.checkSlot(user, req.start, 'start');
    const zone = checkZone(req.zone ?? this.zoneOf(user), 'timezone');
    const calendar = this.calendarOf(user);
    if (calendar) await this.assertExternalFree(calendar, interval, undefined, req.signal);
    const appointment = await this.claim(user.id, interval, undefined, () =>
      this.appointments.create({
        user_id: user.id,
        contact_id: req.contactId ?? null,
        call_id: req.callId ?? null,
        starts_at: new Date(interval.start).toISOString(),
        ends_at: new Date(interval.end).toISOString(),
        timezone: zone,
        title: req.title ?? '',
        notes: req.notes ?? '',
        status: 'booked',
      }),
    );
    const contact = await this.contactOf(appointment);
    const event = calendarEventOf(appointment, user, contact, this.deps.options.organizer_email);
    if (calendar) {
      try {
        await calendar.create(event, req.signal).catch((err: unknown) => {
          // Our UID already there means an earlier attempt of this booking got through.
          if (!(err instanceof CalendarError && err.code === 'EXISTS')) throw err;
        });
      } catch (err) {
        // Give the slot back: a booking the user's calendar does not show would surprise everyone.
        await this.appointments.delete(appointment.id);
        throw err;
      }
      await this.appointments.update(appointment.id, { external_id: event.uid });
    }
    return this.result(await this.appointments.require(appointment.id), user, contact, 'REQUEST');
  }

  /** Moves an appointment to another slot of the same user (its own time does not count as a conflict). */
  async reschedule(req: {
    appointmentId: string;
    start: string;
    signal?: AbortSignal;
  }): Promise<BookingResult> {
    const before = await this.requireBooked(req.appointmentId);
    const user = await this.user(before.user_id);
    const interval = this.checkSlot(user, req.start, 'start');
    const calendar = this.calendarOf(user);
    if (calendar) await this.assertExternalFree(calendar, interval, appointmentUid(before.id), req.signal);
    const moved = await this.claim(user.id, interval, before.id, () =>
      this.appointments.update(before.id, {
        starts_at: new Date(interval.start).toISOString(),
        ends_at: new Date(interval.end).toISOString(),
      }),
    );
    const contact = await this.contactOf(moved);
    if (calendar) {
      const event = calendarEventOf(moved, user, contact, this.deps.options.organizer_email);
      try {
        await calendar.update(event, req.signal);
      } catch (err) {
        await this.appointments.update(before.id, { starts_at: before.starts_at, ends_at: before.ends_at });
        throw err;
      }
    }
    return this.result(moved, user, contact, 'REQUEST');
  }

  /** Cancels an appointment; the external event is removed and a METHOD:CANCEL invite produced. */
  async cancel(req: { appointmentId: string; signal?: AbortSignal }): Promise<BookingResult> {
    const before = await this.appointments.get(req.appointmentId);
    if (!before) throw notFoundAppointment(req.appointmentId);
    const user = await this.user(before.user_id);
    const calendar = this.calendarOf(user);
    // External first: if it fails the appointment stays booked and the engine may retry.
    if (calendar && before.status === 'booked') await calendar.delete(appointmentUid(before.id), req.signal);
    const cancelled =
      before.status === 'cancelled'
        ? before
        : await this.appointments.update(before.id, { status: 'cancelled' });
    return this.result(cancelled, user, await this.contactOf(cancelled), 'CANCEL');
  }

  /** An appointment as a booking result (its current invite), e.g. for an idempotent retry. */
  async existing(appointmentId: string): Promise<BookingResult> {
    const a = await this.appointments.get(appointmentId);
    if (!a) throw notFoundAppointment(appointmentId);
    return this.result(
      a,
      await this.user(a.user_id),
      await this.contactOf(a),
      a.status === 'booked' ? 'REQUEST' : 'CANCEL',
    );
  }

  private result(
    appointment: AppointmentRecord,
    user: UserRecord,
    contact: ContactRecord | undefined,
    method: Invite['method'],
  ): BookingResult {
    const event = calendarEventOf(appointment, user, contact, this.deps.options.organizer_email);
    const invite = writeInvite(event, method, this.deps.icsDir, this.now());
    return { appointment, user, ...(contact ? { contact } : {}), invite };
  }

  private async contactOf(a: AppointmentRecord): Promise<ContactRecord | undefined> {
    return a.contact_id ? await this.deps.store.contacts.get(a.contact_id) : undefined;
  }

  private async requireBooked(id: string): Promise<AppointmentRecord> {
    const a = await this.appointments.get(id);
    if (!a) throw notFoundAppointment(id);
    if (a.status !== 'booked') {
      throw new CallwrightError('CONFLICT', `appointment ${id} is cancelled and cannot be rescheduled`, [
        { field: 'appointment_id', value: id, expected: 'a booked appointment' },
      ]);
    }
    return a;
  }

  /** The slot a start names: parsed, inside working hours, after the notice and before the horizon. */
  private checkSlot(user: UserRecord, start: string, field: string): Interval {
    const ms = parseInstant(start);
    if (ms === undefined) {
      throw invalid(field, start, 'an ISO 8601 date-time with offset, such as 2026-03-10T09:00:00-04:00');
    }
    const interval = { start: ms, end: ms + this.slotMinutesOf(user) * 60000 };
    const now = this.now();
    if (ms < now + this.deps.options.min_notice_minutes * 60000) {
      throw invalid(field, start, `a time at least ${this.deps.options.min_notice_minutes} minutes from now`);
    }
    if (ms >= now + this.deps.options.horizon_days * DAY) {
      throw invalid(field, start, `a time within the next ${this.deps.options.horizon_days} days`);
    }
    if (!withinHours(interval, this.hoursOf(user), this.zoneOf(user))) {
      throw invalid(field, start, `a slot inside ${user.name}'s working hours (${this.zoneOf(user)})`);
    }
    return interval;
  }

  /**
   * Check-then-write in one transaction. SQLite takes the write lock before the check (BEGIN IMMEDIATE),
   * so the check sees every booking before it. On PostgreSQL two nodes may both pass the check; the
   * appointments exclusion constraint then refuses the later write (SQLSTATE 23P01), and that refusal is
   * the same CONFLICT the check gives.
   */
  private async claim(
    userId: string,
    interval: Interval,
    excludeId: string | undefined,
    write: () => Promise<AppointmentRecord>,
  ): Promise<AppointmentRecord> {
    const start = new Date(interval.start).toISOString();
    const end = new Date(interval.end).toISOString();
    try {
      return await this.deps.store.transaction(async () => {
        const clash = await this.appointments.firstOverlap(userId, start, end, excludeId);
        if (clash) throw slotTaken(start);
        return write();
      });
    } catch (err) {
      if ((err as { code?: unknown }).code === EXCLUSION_VIOLATION) throw slotTaken(start);
      throw err;
    }
  }

  private async assertExternalFree(
    calendar: ExternalCalendar,
    interval: Interval,
    ownUid: string | undefined,
    signal?: AbortSignal,
  ): Promise<void> {
    const busy = await calendar.freeBusy(interval, signal);
    if (busy.some((b) => b.uid !== ownUid && overlaps(b, interval))) {
      const start = new Date(interval.start).toISOString();
      throw new CallwrightError('CONFLICT', `the slot at ${start} is busy in the user's calendar`, [
        { field: 'start', value: start, expected: 'a free slot (check availability first)' },
      ]);
    }
  }

  private async busy(user: UserRecord, range: Interval, signal?: AbortSignal): Promise<BusyPeriod[]> {
    const own = (
      await this.appointments.bookedBetween(
        user.id,
        new Date(range.start).toISOString(),
        new Date(range.end).toISOString(),
      )
    ).map((a) => ({ start: Date.parse(a.starts_at), end: Date.parse(a.ends_at) }));
    const calendar = this.calendarOf(user);
    return calendar ? [...own, ...(await calendar.freeBusy(range, signal))] : own;
  }
}

/** PostgreSQL's exclusion_violation: the appointments constraint refusing an overlapping booked slot. */
const EXCLUSION_VIOLATION = '23P01';

function slotTaken(start: string): CallwrightError {
  return new CallwrightError('CONFLICT', `the slot at ${start} is already taken`, [
    { field: 'start', value: start, expected: 'a free slot (check availability first)' },
  ]);
}

function checkZone(zone: string, field: string): string {
  if (!isTimeZone(zone)) throw invalid(field, zone, 'an IANA time zone such as America/New_York');
  return zone;
}

function invalid(field: string, value: unknown, expected: string): CallwrightError {
  return new CallwrightError('VALIDATION', `${field}: got ${JSON.stringify(value)}, expected ${expected}`, [
    { field, value, expected },
  ]);
}

function notFoundAppointment(id: string): CallwrightError {
  return new CallwrightError('NOT_FOUND', `appointment ${JSON.stringify(id)} not found`, [
    { field: 'appointment_id', value: id, expected: 'the id of an existing appointment' },
  ]);
}
