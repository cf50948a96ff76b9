import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../app.js';
import type { FieldIssue } from '../../errors.js';
import type { CallSearch } from '../../store/repositories/calls.js';
import { invalid } from './crud.js';
import { errorResponses, IdParams, listQuery, pageOf } from '../schemas/common.js';
import { Call, CallDetail, CallEvent, CallFilters, INSTANT_EXPECTED } from '../schemas/calls.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A date-range bound the schema let through as text: a real date or date-time with its offset. */
function instantIssues(query: CallSearch): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const field of ['started_after', 'started_before'] as const) {
    const value = query[field];
    if (value === undefined) continue;
    const shaped = DATE.test(value) || DATE_TIME.test(value);
    if (!shaped || Number.isNaN(Date.parse(value)))
      issues.push({ field: `query.${field}`, value, expected: INSTANT_EXPECTED });
  }
  const { started_after: after, started_before: before } = query;
  if (!issues.length && after && before && Date.parse(after) >= Date.parse(before))
    issues.push({
      field: 'query.started_before',
      value: before,
      expected: `a time after started_after (${after})`,
    });
  return issues;
}

/** Call history: calls (newest first, filtered) and each call's events (in order). */
export async function callRoutes(app: FastifyInstance, { store }: ApiDeps): Promise<void> {
  app.get<{ Querystring: CallSearch }>(
    '/calls',
    {
      schema: {
        tags: ['calls'],
        summary: 'List calls, newest first, a page at a time',
        description:
          'Every filter given must hold: number (text in the calling or called number), agent_id, ' +
          'contact_id, direction, state, outcome, disposition, and the started_after / started_before range.',
        querystring: listQuery(CallFilters),
        response: { 200: pageOf(Call), ...errorResponses },
      },
    },
    async (req) => {
      const issues = instantIssues(req.query);
      if (issues.length) throw invalid(issues);
      return await store.calls.search(req.query);
    },
  );
  app.get<{ Params: { id: string } }>(
    '/calls/:id',
    {
      schema: {
        tags: ['calls'],
        summary: 'Get one call, with the latency breakdown of each turn',
        params: IdParams,
        response: { 200: CallDetail, ...errorResponses },
      },
    },
    async (req) => {
      const call = await store.calls.require(req.params.id);
      const turns = (await store.callEvents.ofType(call.id, 'turn')).map((e) => e.data);
      return { ...call, turns };
    },
  );
  app.get<{ Params: { id: string }; Querystring: { limit: number; offset: number } }>(
    '/calls/:id/events',
    {
      schema: {
        tags: ['calls'],
        summary: "A call's events (transcript lines, DTMF, state changes) in order, a page at a time",
        params: IdParams,
        querystring: listQuery(),
        response: { 200: pageOf(CallEvent), ...errorResponses },
      },
    },
    async (req) => {
      await store.calls.require(req.params.id);
      return await store.callEvents.list(req.params.id, req.query);
    },
  );
}
