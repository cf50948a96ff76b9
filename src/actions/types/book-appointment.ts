import { Type } from '@sinclair/typebox';
import { defineActionType } from '../action-type.js';
import type { BookingResult, BookingService } from '../../integrations/booking/booking-service.js';
import {
  CallerZoneField,
  UserField,
  asActionError,
  bookingOutputs,
  simulatedBooking,
  userCalendar,
} from './book-appointment-common.js';
import { ActionError } from '../../errors.js';

/**
 * Books a slot in a user's calendar for the caller. Conflicts are refused (CONFLICT, not retried);
 * the outputs carry local times in both zones and the ICS invite, so a following send-sms or email
 * action confirms with `{{ actions.<name>.caller_display }}` and attaches `ics_path`.
 */
export const bookAppointment = defineActionType({
  name: 'book-appointment',
  title: 'Book appointment',
  description: "Books an appointment slot in a user's calendar for the caller.",
  configSchema: Type.Object(
    {
      user: UserField,
      start: Type.String({
        default: '',
        maxLength: 200,
        description: 'Template of the slot start (ISO 8601 with offset); the tool argument `start` wins',
      }),
      caller_timezone: CallerZoneField,
      title: Type.String({
        default: '',
        maxLength: 200,
        description: 'Event title; empty = "Appointment with <user>"',
      }),
      notes: Type.String({ default: '', maxLength: 2000 }),
    },
    { additionalProperties: false },
  ),
  stages: ['during', 'after'],
  argumentSchema: () =>
    Type.Object(
      {
        start: Type.String({
          minLength: 1,
          maxLength: 64,
          description: 'Slot start exactly as check-availability returned it (ISO 8601)',
        }),
        caller_timezone: Type.Optional(Type.String({ maxLength: 64 })),
        notes: Type.Optional(Type.String({ maxLength: 2000, description: 'What the appointment is about' })),
      },
      { additionalProperties: false },
    ),
  async exec(ctx) {
    const { service, user, zone, caller } = await userCalendar(ctx);
    const start = (typeof ctx.args.start === 'string' ? ctx.args.start : ctx.config.start).trim();
    if (!start)
      throw new ActionError('VALIDATION', 'start: missing, expected the slot start (ISO 8601)', false);
    const notes = typeof ctx.args.notes === 'string' ? ctx.args.notes : ctx.config.notes;
    let result: BookingResult;
    try {
      result =
        (await alreadyBooked(ctx.callId, user.id, start, service)) ??
        (await service.book({
          user: user.id,
          start,
          zone: caller,
          ...(ctx.contactId ? { contactId: ctx.contactId } : {}),
          ...(ctx.callId ? { callId: ctx.callId } : {}),
          title: ctx.config.title,
          notes,
          signal: ctx.signal,
        }));
    } catch (err) {
      throw asActionError(err);
    }
    return bookingOutputs(result, caller, zone);
  },
  simulate: (ctx) => simulatedBooking(String(ctx.args.start ?? ctx.config.start), ctx.config.caller_timezone),
});

/**
 * A retry or outbox replay of the same booking for the same call finds its own appointment instead of
 * a conflict with itself (delivery is at least once).
 */
async function alreadyBooked(
  callId: string | undefined,
  userId: string,
  start: string,
  service: BookingService,
): Promise<BookingResult | undefined> {
  const ms = Date.parse(start);
  if (!callId || Number.isNaN(ms)) return undefined;
  const iso = new Date(ms).toISOString();
  const page = await service.appointments.search(
    { limit: 50 },
    { call_id: callId, user_id: userId, status: 'booked' },
  );
  const mine = page.items.find((a) => a.starts_at === iso);
  return mine ? service.existing(mine.id) : undefined;
}
