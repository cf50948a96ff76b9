import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../app.js';
import { crudRoutes } from './crud.js';
import { errorResponses, IdParams, listQuery, pageOf } from '../schemas/common.js';
import { Call, CallDetail, CallEvent, CallFilters } from '../schemas/calls.js';

/** Read-only call history: calls (newest first) and each call's events (in order). */
export async function callRoutes(app: FastifyInstance, { store }: ApiDeps): Promise<void> {
  crudRoutes(app, {
    path: '/calls',
    tag: 'calls',
    entity: 'call',
    record: Call,
    filters: CallFilters,
    repo: store.calls,
    operations: ['list'],
  });
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
      const call = store.calls.require(req.params.id);
      const turns = store.callEvents.ofType(call.id, 'turn').map((e) => e.data);
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
      store.calls.require(req.params.id);
      return store.callEvents.list(req.params.id, req.query);
    },
  );
}
