import { Type } from '@sinclair/typebox';
import { defineActionType } from '../action-type.js';
import {
  CallerZoneField,
  asActionError,
  bookingOutputs,
  bookingService,
  callerZone,
  simulatedBooking,
} from './book-appointment-common.js';
import { ActionError } from '../../errors.js';

/** Moves a booked appointment to another free slot of the same user; the invite gets a higher SEQUENCE. */
export const rescheduleAppointment = defineActionType({
  name: 'reschedule-appointment',
  title: 'Reschedule appointment',
  description: 'Moves a booked appointment to another free slot.',
  configSchema: Type.Object(
    {
      appointment_id: Type.String({
        default: '',
        maxLength: 200,
        description: 'Template of the appointment id; the tool argument `appointment_id` wins',
      }),
      start: Type.String({
        default: '',
        maxLength: 200,
        description: 'Template of the new slot start (ISO 8601)',
      }),
      caller_timezone: CallerZoneField,
    },
    { additionalProperties: false },
  ),
  stages: ['during', 'after'],
  argumentSchema: () =>
    Type.Object(
      {
        appointment_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        start: Type.String({ minLength: 1, maxLength: 64, description: 'New slot start (ISO 8601)' }),
        caller_timezone: Type.Optional(Type.String({ maxLength: 64 })),
      },
      { additionalProperties: false },
    ),
  async exec(ctx) {
    const service = bookingService(ctx);
    const id = pick(ctx.args.appointment_id, ctx.config.appointment_id);
    const start = pick(ctx.args.start, ctx.config.start);
    if (!id)
      throw new ActionError('VALIDATION', 'appointment_id: missing, expected an appointment id', false);
    if (!start) throw new ActionError('VALIDATION', 'start: missing, expected the new slot start', false);
    try {
      const result = await service.reschedule({ appointmentId: id, start, signal: ctx.signal });
      const zone = service.zoneOf(result.user);
      const caller = callerZone(ctx, result.appointment.timezone || zone);
      return bookingOutputs(result, caller, zone);
    } catch (err) {
      throw asActionError(err);
    }
  },
  simulate: (ctx) => simulatedBooking(String(ctx.args.start ?? ctx.config.start), ctx.config.caller_timezone),
});

function pick(arg: unknown, configured: string): string {
  return (typeof arg === 'string' && arg.trim() ? arg : configured).trim();
}
