import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import type { ActionEngine } from '../../actions/action-engine.js';
import { describeTool } from '../../actions/tool-description.js';
import { DefinitionInput, DefinitionPatch } from '../../actions/definitions.js';
import { notFound } from '../../errors.js';
import { attachmentRoutes } from './attachments.js';
import { actionRunRoutes } from './action-runs.js';
import { outboxRoutes } from './outbox.js';
import { simulateRoutes } from './simulate.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    offset: Type.Integer({ minimum: 0, default: 0 }),
    type: Type.Optional(Type.String()),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** Everything of the action engine in the admin API; one engine shared by its route groups. */
export async function actionEngineRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const engine = deps.actionEngine;
  definitionRoutes(app, engine);
  attachmentRoutes(app, deps, engine);
  actionRunRoutes(app, engine);
  outboxRoutes(app, deps);
  simulateRoutes(app, deps, engine);
}

function definitionRoutes(app: FastifyInstance, engine: ActionEngine): void {
  const { store } = engine.services;
  const tags = ['actions'];
  app.get(
    '/action-types',
    { schema: { tags, summary: 'Action types: name, stages, config schema' } },
    async () => ({
      items: engine.registry.list().map((t) => ({
        name: t.name,
        title: t.title,
        description: t.description,
        stages: t.stages,
        needs: t.needs ?? [],
        config_schema: JSON.parse(JSON.stringify(t.configSchema)) as unknown,
      })),
    }),
  );
  app.get(
    '/actions',
    { schema: { tags, summary: 'List action definitions', querystring: ListQuery } },
    async (req) => {
      const q = req.query as { limit: number; offset: number; type?: string; enabled?: boolean };
      const filter: Record<string, unknown> = {};
      if (q.type) filter.type = q.type;
      if (q.enabled !== undefined) filter.enabled = q.enabled ? 1 : 0;
      return await store.actions.list({ limit: q.limit, offset: q.offset }, filter);
    },
  );
  app.get(
    '/actions/:id',
    { schema: { tags, summary: 'One action definition (by id or name)', params: IdParams } },
    async (req) => await engine.definitions.resolve((req.params as { id: string }).id),
  );
  app.post(
    '/actions',
    {
      schema: {
        tags,
        summary: 'Create a definition; its config is validated by its type',
        body: DefinitionInput,
      },
    },
    async (req, reply) => {
      reply.code(201);
      return await engine.definitions.create(req.body);
    },
  );
  app.patch(
    '/actions/:id',
    {
      schema: {
        tags,
        summary: 'Update a definition (also enable/disable)',
        params: IdParams,
        body: DefinitionPatch,
      },
    },
    async (req) => {
      const def = await engine.definitions.resolve((req.params as { id: string }).id);
      return await engine.definitions.update(def.id, req.body);
    },
  );
  app.delete(
    '/actions/:id',
    { schema: { tags, summary: 'Delete a definition and its attachments', params: IdParams } },
    async (req, reply) => {
      const def = await engine.definitions.resolve((req.params as { id: string }).id);
      await store.actions.delete(def.id);
      reply.code(204);
    },
  );
  app.get(
    '/actions/:id/stats',
    { schema: { tags, summary: 'Runs, success rate, p50/p95 duration', params: IdParams } },
    async (req) => {
      const def = await engine.definitions.resolve((req.params as { id: string }).id);
      return await engine.history.stats(def.id);
    },
  );
  app.get(
    '/actions/:id/tool',
    { schema: { tags, summary: 'The tool description agents see', params: IdParams } },
    async (req) => {
      const def = await engine.definitions.resolve((req.params as { id: string }).id);
      return describeTool(def, engine.registry.get(def.type));
    },
  );
  app.get(
    '/agents/:id/tools',
    { schema: { tags, summary: "Tools of an agent's during-call actions", params: IdParams } },
    async (req) => {
      const id = (req.params as { id: string }).id;
      if (!(await store.agents.get(id))) throw notFound('agent', id);
      const session = await engine.session({ agentId: id, dryRun: true });
      return { items: await session.tools() };
    },
  );
}
