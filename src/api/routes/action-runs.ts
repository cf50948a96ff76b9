import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ActionEngine } from '../../actions/action-engine.js';
import { notFound } from '../../errors.js';
import { listQuery } from '../schemas/common.js';

const RunQuery = listQuery({
  action_id: Type.Optional(Type.String()),
  call_id: Type.Optional(Type.String()),
  agent_id: Type.Optional(Type.String()),
  status: Type.Optional(
    Type.Union(
      ['running', 'succeeded', 'failed', 'skipped', 'cancelled', 'queued'].map((s) => Type.Literal(s)),
    ),
  ),
});

/** The execution history: newest first, filtered by definition, call, agent or status. */
export function actionRunRoutes(app: FastifyInstance, engine: ActionEngine): void {
  const tags = ['action runs'];
  app.get(
    '/action-runs',
    {
      schema: { tags, summary: 'Action runs (inputs PII-redacted), a page at a time', querystring: RunQuery },
    },
    async (req) => {
      const q = req.query as {
        limit: number;
        offset: number;
        action_id?: string;
        call_id?: string;
        agent_id?: string;
        status?: never;
      };
      return await engine.history.list({
        limit: q.limit,
        offset: q.offset,
        actionId: q.action_id,
        callId: q.call_id,
        agentId: q.agent_id,
        status: q.status,
      });
    },
  );
  app.get(
    '/action-runs/:id',
    { schema: { tags, summary: 'One run', params: Type.Object({ id: Type.String() }) } },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const run = await engine.history.get(id);
      if (!run) throw notFound('action run', id);
      return run;
    },
  );
}
