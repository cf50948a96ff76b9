import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import type { ActionEngine } from '../../actions/action-engine.js';
import { AttachmentInput, validateAttachment } from '../../actions/agent-plan.js';
import { CallwrightError, notFound } from '../../errors.js';
import type { AttachmentRecord } from '../../store/store.js';

const AgentParams = Type.Object({ id: Type.String({ minLength: 1 }) });
const AttachmentParams = Type.Object({
  id: Type.String({ minLength: 1 }),
  attachmentId: Type.String({ minLength: 1 }),
});
const AttachmentPatch = Type.Partial(AttachmentInput, { additionalProperties: false });

/** Attachments: which definitions an agent runs, at which stage, in which order, on which triggers. */
export function attachmentRoutes(app: FastifyInstance, { store }: ApiDeps, engine: ActionEngine): void {
  const tags = ['agents'];
  const agentOf = (id: string) =>
    store.agents.byIdOrName(id) ??
    (() => {
      throw notFound('agent', id);
    })();
  const attachmentOf = (agentId: string, id: string): AttachmentRecord => {
    const att = store.attachments.get(id);
    if (!att || att.agent_id !== agentId) throw notFound('attachment', id);
    return att;
  };
  const nextPosition = (agentId: string, stage: string): number =>
    (
      store.db
        .prepare(
          'SELECT coalesce(max(position) + 1, 0) AS p FROM agent_actions WHERE agent_id = ? AND stage = ?',
        )
        .get(agentId, stage) as { p: number }
    ).p;

  app.get(
    '/agents/:id/actions',
    { schema: { tags, summary: "An agent's attachments in execution order", params: AgentParams } },
    async (req) => {
      const agent = agentOf((req.params as { id: string }).id);
      const rows = store.db
        .prepare(
          `SELECT a.id, d.name, d.enabled FROM agent_actions a JOIN action_definitions d ON d.id = a.action_id
           WHERE a.agent_id = ?
           ORDER BY CASE a.stage WHEN 'before' THEN 0 WHEN 'during' THEN 1 ELSE 2 END, a.position, a.created_at, a.id`,
        )
        .all(agent.id) as Array<{ id: string; name: string; enabled: number }>;
      return {
        items: rows.map((r) => ({
          ...store.attachments.require(r.id),
          action: r.name,
          enabled: r.enabled === 1,
        })),
      };
    },
  );
  app.post(
    '/agents/:id/actions',
    {
      schema: {
        tags,
        summary: 'Attach an action definition (stage, position, triggers, failure policy)',
        params: AgentParams,
        body: AttachmentInput,
      },
    },
    async (req, reply) => {
      const agent = agentOf((req.params as { id: string }).id);
      const { fields } = validateAttachment(store, engine.registry, req.body);
      const exists = store.db
        .prepare('SELECT id FROM agent_actions WHERE agent_id = ? AND action_id = ? AND stage = ?')
        .get(agent.id, fields.action_id, fields.stage);
      if (exists) {
        throw new CallwrightError('CONFLICT', 'this action is already attached to the agent at this stage', [
          {
            field: 'body.action_id',
            value: fields.action_id,
            expected: 'an action not yet attached at this stage (PATCH the existing attachment)',
          },
        ]);
      }
      reply.code(201);
      return store.attachments.create({
        agent_id: agent.id,
        ...fields,
        position: fields.position ?? nextPosition(agent.id, fields.stage),
      });
    },
  );
  app.patch(
    '/agents/:id/actions/:attachmentId',
    { schema: { tags, summary: 'Change an attachment', params: AttachmentParams, body: AttachmentPatch } },
    async (req) => {
      const { id, attachmentId } = req.params as { id: string; attachmentId: string };
      const agent = agentOf(id);
      const current = attachmentOf(agent.id, attachmentId);
      const body = req.body as Partial<AttachmentInput>;
      const { fields } = validateAttachment(store, engine.registry, {
        action_id: body.action_id ?? current.action_id,
        stage: body.stage ?? current.stage,
        position: body.position ?? current.position,
        triggers: body.triggers ?? current.triggers,
        failure_policy: body.failure_policy ?? current.failure_policy,
      });
      return store.attachments.update(current.id, {
        ...fields,
        position: fields.position ?? current.position,
      });
    },
  );
  app.delete(
    '/agents/:id/actions/:attachmentId',
    { schema: { tags, summary: 'Detach', params: AttachmentParams } },
    async (req, reply) => {
      const { id, attachmentId } = req.params as { id: string; attachmentId: string };
      store.attachments.delete(attachmentOf(agentOf(id).id, attachmentId).id);
      reply.code(204);
    },
  );
}
