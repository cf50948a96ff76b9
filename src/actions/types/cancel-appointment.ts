import { Type } from '@sinclair/typebox';
import { defineActionType } from '../action-type.js';
import {
  CallerZoneField,
  asActionError,
  bookingOutputs,
  bookingService,
  callerZone,
} from './book-appointment-common.js';
import { ActionError } from '../../errors.js';

/** Cancels an appointment; outputs carry a METHOD:CANCEL invite for the confirmation. */
export const cancelAppointment = defineActionType({
  name: 'cancel-appointment',
  title: 'Cancel appointment',
  description: 'Cancels a booked appointment and frees its slot.',
  configSchema: Type.Object(
    {
      appointment_id: Type.String({
        default: '',
        maxLength: 200,
        description: 'Template of the appointment id; the tool argument `appointment_id` wins',
      }),
      caller_timezone: CallerZoneField,
    },
    { additionalProperties: false },
  ),
  stages: ['during', 'after'],
  argumentSchema: () =>
    Type.Object(
      { appointment_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) },
      { additionalProperties: false },
    ),
  async exec(ctx) {
    const service = bookingService(ctx);
    const arg = typeof ctx.args.appointment_id === 'string' ? ctx.args.appointment_id.trim() : '';
    const id = arg || ctx.config.appointment_id.trim();
    if (!id)
      throw new ActionError('VALIDATION', 'appointment_id: missing, expected an appointment id', false);
    try {
      const result = await service.cancel({ appointmentId: id, signal: ctx.signal });
      const zone = service.zoneOf(result.user);
      const caller = callerZone(ctx, result.appointment.timezone || zone);
      return bookingOutputs(result, caller, zone);
    } catch (err) {
      throw asActionError(err);
    }
  },
  simulate: () => ({ appointment_id: 'apt_simulated', status: 'cancelled', ics: '', ics_path: '' }),
});
