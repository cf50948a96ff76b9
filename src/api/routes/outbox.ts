import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import { OutboxRepository, type OutboxStatus } from '../../delivery/outbox-repository.js';
import { notFound } from '../../errors.js';
import { listQuery } from '../schemas/common.js';

const OutboxQuery = listQuery({
  status: Type.Optional(
    Type.Union(['pending', 'processing', 'delivered', 'dead'].map((s) => Type.Literal(s))),
  ),
  kind: Type.Optional(Type.String()),
  call_id: Type.Optional(Type.String()),
});
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/** The durable outbox: rows by status, and replay of dead letters (one, or all). */
export function outboxRoutes(app: FastifyInstance, { store, config }: ApiDeps): void {
  const tags = ['outbox'];
  const repo = new OutboxRepository(store.sql, {
    backoffBaseMs: config.outbox.backoff_base_ms,
    backoffMaxMs: config.outbox.backoff_max_ms,
  });
  app.get(
    '/outbox',
    {
      schema: { tags, summary: 'Outbox rows, newest first, with counts by status', querystring: OutboxQuery },
    },
    async (req) => {
      const q = req.query as {
        limit: number;
        offset: number;
        status?: OutboxStatus;
        kind?: string;
        call_id?: string;
      };
      const page = await repo.list({
        limit: q.limit,
        offset: q.offset,
        status: q.status,
        kind: q.kind,
        callId: q.call_id,
      });
      return { ...page, counts: await repo.counts() };
    },
  );
  app.get('/outbox/:id', { schema: { tags, summary: 'One outbox row', params: IdParams } }, async (req) => {
    const id = (req.params as { id: number }).id;
    const row = await repo.get(id);
    if (!row) throw notFound('outbox row', id);
    return row;
  });
  app.post(
    '/outbox/:id/replay',
    { schema: { tags, summary: 'Replay a dead row with a fresh set of attempts', params: IdParams } },
    async (req) => await repo.replay((req.params as { id: number }).id),
  );
  app.post('/outbox/replay-dead', { schema: { tags, summary: 'Replay every dead row' } }, async () => ({
    replayed: await repo.replayAllDead(),
  }));
}
