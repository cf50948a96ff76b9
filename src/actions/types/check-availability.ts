import { Type } from '@sinclair/typebox';
import { defineActionType } from '../action-type.js';
import {
  CallerZoneField,
  UserField,
  asActionError,
  slotOutputs,
  userCalendar,
} from './book-appointment-common.js';

/**
 * Free slots of a user's calendar (working hours, slot length, appointments, external busy times),
 * rendered in the caller's time zone so the agent can read them out as the caller lives them.
 */
export const checkAvailability = defineActionType({
  name: 'check-availability',
  title: 'Check availability',
  description: "Lists free appointment slots of a user's calendar, in the caller's time zone.",
  configSchema: Type.Object(
    {
      user: UserField,
      caller_timezone: CallerZoneField,
      days: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 366,
          description: 'Days to look ahead; default 1 with a date, else the horizon',
        }),
      ),
      max_slots: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    },
    { additionalProperties: false },
  ),
  stages: ['before', 'during', 'after'],
  argumentSchema: () =>
    Type.Object(
      {
        date: Type.Optional(
          Type.String({
            pattern: '^\\d{4}-\\d{2}-\\d{2}$',
            description: "First day to look at, YYYY-MM-DD in the caller's time zone (default today)",
          }),
        ),
        caller_timezone: Type.Optional(
          Type.String({
            maxLength: 64,
            description: "The caller's IANA time zone, if they said where they are",
          }),
        ),
      },
      { additionalProperties: false },
    ),
  async exec(ctx) {
    const { service, user, zone, caller } = await userCalendar(ctx);
    const date = typeof ctx.args.date === 'string' ? ctx.args.date : undefined;
    try {
      const { slots } = await service.availability({
        user: user.id,
        zone: caller,
        ...(date ? { date } : {}),
        // A caller asking about one day hears that day; otherwise the configured span or the horizon.
        ...(ctx.config.days ? { days: ctx.config.days } : date ? { days: 1 } : {}),
        ...(ctx.config.max_slots ? { limit: ctx.config.max_slots } : {}),
        signal: ctx.signal,
      });
      const views = slots.map((s) => slotOutputs(s, caller, zone));
      return {
        user_id: user.id,
        user_name: user.name,
        caller_timezone: caller,
        user_timezone: zone,
        count: views.length,
        slots: views,
        slots_text: views.map((v) => v.caller_display).join('; '),
        first_start: views[0]?.start ?? '',
      };
    } catch (err) {
      throw asActionError(err);
    }
  },
  simulate: () => ({ count: 0, slots: [], slots_text: '', first_start: '' }),
});
