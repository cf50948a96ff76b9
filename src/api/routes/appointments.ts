import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import { validationError } from '../../util/validate.js';
import type { CallwrightError } from '../../errors.js';
import {
  errorResponses,
  Id,
  IdParams,
  listQuery,
  Nullable,
  pageOf,
  StringEnum,
  Timestamp,
} from '../schemas/common.js';
import {
  AppointmentRepository,
  type AppointmentFilter,
} from '../../integrations/booking/appointment-repository.js';
import { addDays, isTimeZone, parseIsoDate, zonedToUtc } from '../../util/zoned-time.js';

const Appointment = Type.Object({
  id: Id,
  user_id: Id,
  contact_id: Nullable(Type.String()),
  call_id: Nullable(Type.String()),
  starts_at: Timestamp,
  ends_at: Timestamp,
  timezone: Type.String({ description: "The caller's IANA time zone at booking" }),
  title: Type.String(),
  notes: Type.String(),
  status: Type.String({ examples: ['booked', 'cancelled'] }),
  external_id: Nullable(Type.String({ description: 'UID of the event in an external calendar' })),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const Filters = {
  user_id: Type.Optional(Id),
  contact_id: Type.Optional(Id),
  call_id: Type.Optional(Id),
  status: Type.Optional(StringEnum(['booked', 'cancelled'])),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Starting at or after this instant' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Starting before this instant' })),
  date: Type.Optional(
    Type.String({ format: 'date', description: 'Starting on this local day (YYYY-MM-DD) in `timezone`' }),
  ),
  timezone: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'Zone of `date`; default UTC',
      examples: ['Europe/Paris'],
    }),
  ),
};

type Query = { limit: number; offset: number } & Partial<Record<keyof typeof Filters, string>>;

/** Appointments booked by the booking actions: read-only, newest first by start, filterable. */
export async function appointmentRoutes(app: FastifyInstance, { store }: ApiDeps): Promise<void> {
  const repo = new AppointmentRepository(store.sql);
  const tags = ['appointments'];
  app.get<{ Querystring: Query }>(
    '/appointments',
    {
      schema: {
        tags,
        summary:
          'List appointments by start time; filter by user, contact, call, status, instant range or local day',
        querystring: listQuery(Filters),
        response: { 200: pageOf(Appointment), ...errorResponses },
      },
    },
    async (req) => {
      const { limit, offset, ...q } = req.query;
      return await repo.search({ limit, offset }, filterOf(q));
    },
  );
  app.get<{ Params: { id: string } }>(
    '/appointments/:id',
    {
      schema: {
        tags,
        summary: 'Get one appointment',
        params: IdParams,
        response: { 200: Appointment, ...errorResponses },
      },
    },
    async (req) => await repo.require(req.params.id),
  );
}

function filterOf(q: Partial<Record<keyof typeof Filters, string>>): AppointmentFilter {
  const filter: AppointmentFilter = {};
  for (const k of ['user_id', 'contact_id', 'call_id'] as const) if (q[k]) filter[k] = q[k];
  if (q.status) filter.status = q.status as 'booked' | 'cancelled';
  if (q.from) filter.from = new Date(q.from).toISOString();
  if (q.to) filter.to = new Date(q.to).toISOString();
  if (q.timezone && !q.date) throw bad('querystring.timezone', q.timezone, 'only together with date');
  if (q.date) {
    const zone = q.timezone ?? 'UTC';
    if (!isTimeZone(zone)) throw bad('querystring.timezone', zone, 'an IANA time zone such as Europe/Paris');
    const day = parseIsoDate(q.date);
    if (!day) throw bad('querystring.date', q.date, 'a date as YYYY-MM-DD');
    const start = new Date(zonedToUtc({ ...day, hour: 0, minute: 0 }, zone)).toISOString();
    const end = new Date(zonedToUtc({ ...addDays(day, 1), hour: 0, minute: 0 }, zone)).toISOString();
    // The day narrows any from/to given with it.
    filter.from = filter.from && filter.from > start ? filter.from : start;
    filter.to = filter.to && filter.to < end ? filter.to : end;
  }
  return filter;
}

function bad(field: string, value: string, expected: string): CallwrightError {
  return validationError([{ field, value, expected }]);
}
