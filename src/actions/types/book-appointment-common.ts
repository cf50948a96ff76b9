import { Type } from '@sinclair/typebox';
import { type ActionContext, type ActionOutputs } from '../action-type.js';
import { BookingService, type BookingResult } from '../../integrations/booking/booking-service.js';
import { DEFAULT_BOOKING_OPTIONS } from '../../integrations/booking/booking-services.js';
import type { UserRecord } from '../../store/store.js';
import { CalendarError } from '../../integrations/calendar/external-calendar.js';
import { displayTime, isTimeZone, isoDate, localIso, localParts } from '../../util/zoned-time.js';
import { ActionError } from '../../errors.js';

/** Shared by check-availability, book-, reschedule- and cancel-appointment. */

export const UserField = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'Template of the id or name of the user whose calendar is used',
});

export const CallerZoneField = Type.String({
  default: '{{ contact.timezone | default: "" }}',
  maxLength: 200,
  description: "Template of the caller's IANA time zone; empty = the user's zone",
});

/** The booking service composed in, or one over the store with default settings. */
export function bookingService(ctx: ActionContext<unknown>): BookingService {
  if (ctx.services.booking) return ctx.services.booking;
  return new BookingService({
    store: ctx.services.store,
    options: DEFAULT_BOOKING_OPTIONS,
    icsDir: '',
    now: () => ctx.services.clock.now(),
  });
}

/** The caller's zone: tool argument, then config (contact's zone by default), then the user's. */
export function callerZone(ctx: ActionContext<{ caller_timezone: string }>, fallback: string): string {
  const fromArgs = typeof ctx.args.caller_timezone === 'string' ? ctx.args.caller_timezone.trim() : '';
  const zone = fromArgs || ctx.config.caller_timezone.trim() || fallback;
  if (!isTimeZone(zone)) {
    throw new ActionError(
      'VALIDATION',
      `caller_timezone: got ${JSON.stringify(zone)}, expected an IANA time zone such as America/New_York`,
      false,
    );
  }
  return zone;
}

/** The configured user's calendar: the booking service, the user, the user's zone and the caller's. */
export async function userCalendar(ctx: ActionContext<{ user: string; caller_timezone: string }>): Promise<{
  service: BookingService;
  user: UserRecord;
  zone: string;
  caller: string;
}> {
  const service = bookingService(ctx);
  const user = await service.user(ctx.config.user, 'config.user');
  const zone = service.zoneOf(user);
  return { service, user, zone, caller: callerZone(ctx, zone) };
}

/** One instant seen from one zone, in the forms templates need. */
export function timeViews(ms: number, zone: string, prefix: string): Record<string, string> {
  const p = localParts(ms, zone);
  return {
    [`${prefix}_local`]: localIso(ms, zone),
    [`${prefix}_display`]: displayTime(ms, zone),
    [`${prefix}_date`]: isoDate(p),
    [`${prefix}_time`]: `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`,
  };
}

/** A slot as the agent (and templates) see it: UTC instants plus local views for caller and user. */
export function slotOutputs(
  slot: { start: number; end: number },
  caller: string,
  user: string,
): Record<string, string> {
  return {
    start: new Date(slot.start).toISOString(),
    end: new Date(slot.end).toISOString(),
    ...timeViews(slot.start, caller, 'caller'),
    ...timeViews(slot.start, user, 'user'),
  };
}

/**
 * Outputs of a booking change: everything a confirmation SMS or email template needs (local times in
 * both zones, the user's name) and the ICS invite as text and file path for attachments.
 */
export function bookingOutputs(result: BookingResult, caller: string, zone: string): ActionOutputs {
  const { appointment: a, user, invite } = result;
  const start = Date.parse(a.starts_at);
  return {
    appointment_id: a.id,
    status: a.status,
    user_id: user.id,
    user_name: user.name,
    user_email: user.email,
    contact_id: a.contact_id ?? '',
    starts_at: a.starts_at,
    ends_at: a.ends_at,
    duration_minutes: Math.round((Date.parse(a.ends_at) - start) / 60000),
    caller_timezone: caller,
    user_timezone: zone,
    ...timeViews(start, caller, 'caller'),
    ...timeViews(start, zone, 'user'),
    caller_end_display: displayTime(Date.parse(a.ends_at), caller),
    ics: invite.ics,
    ics_path: invite.path,
    ics_filename: invite.filename,
    ics_method: invite.method,
    external_id: a.external_id ?? '',
  };
}

/** Calendar failures become typed action failures the failure policy can retry. */
export function asActionError(err: unknown): unknown {
  if (err instanceof CalendarError) {
    return new ActionError(`CALENDAR_${err.code}`, err.message, err.retryable, {
      ...(err.status ? { status: err.status } : {}),
    });
  }
  return err;
}

/** Simulated outputs: the same keys with the slot the dry run names (or a placeholder). */
export function simulatedBooking(start: string, caller: string): ActionOutputs {
  const ms = Date.parse(start);
  const zone = isTimeZone(caller) ? caller : 'UTC';
  const at = Number.isNaN(ms) ? Date.UTC(2030, 0, 7, 14) : ms;
  return {
    appointment_id: 'apt_simulated',
    status: 'booked',
    starts_at: new Date(at).toISOString(),
    caller_timezone: zone,
    ...timeViews(at, zone, 'caller'),
    ics: '',
    ics_path: '',
  };
}
