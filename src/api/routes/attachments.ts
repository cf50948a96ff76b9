import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import type { ActionEngine } from '../../actions/action-engine.js';
import { AttachmentInput, STAGES, validateAttachment } from '../../actions/agent-plan.js';
import { CallwrightError, notFound, type FieldIssue } from '../../errors.js';
import type { AttachmentRecord, Stage, Store } from '../../store/store.js';
import { invalid } from './crud.js';

const AgentParams = Type.Object({ id: Type.String({ minLength: 1 }) });
const AttachmentParams = Type.Object({
  id: Type.String({ minLength: 1 }),
  attachmentId: Type.String({ minLength: 1 }),
});
const AttachmentPatch = Type.Partial(AttachmentInput, { additionalProperties: false });
const StageOrder = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
  maxItems: 1000,
  description: 'Every attachment id of the stage, once each, in the new execution order',
});
const AttachmentOrder = Type.Object(
  { before: Type.Optional(StageOrder), during: Type.Optional(StageOrder), after: Type.Optional(StageOrder) },
  { additionalProperties: false, minProperties: 1 },
);
type AttachmentOrder = Partial<Record<Stage, string[]>>;

/** An agent's attachments in execution order (the order `loadAgentPlan` runs them), with the definition's name. */
function attachmentsInOrder(store: Store, agentId: string) {
  const rows = store.db
    .prepare(
      `SELECT a.id, d.name, d.enabled FROM agent_actions a JOIN action_definitions d ON d.id = a.action_id
       WHERE a.agent_id = ?
       ORDER BY CASE a.stage WHEN 'before' THEN 0 WHEN 'during' THEN 1 ELSE 2 END, a.position, a.created_at, a.id`,
    )
    .all(agentId) as Array<{ id: string; name: string; enabled: number }>;
  return rows.map((r) => ({
    ...store.attachments.require(r.id),
    action: r.name,
    enabled: r.enabled === 1,
  }));
}

/**
 * Each stage given must list all and only that stage's attachments, once each: a reorder never drops,
 * duplicates or moves an attachment to another stage by accident.
 */
function orderIssues(current: Array<{ id: string; stage: Stage }>, order: AttachmentOrder): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const stage of STAGES) {
    const ids = order[stage];
    if (!ids) continue;
    const have = current.filter((a) => a.stage === stage).map((a) => a.id);
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (seen.has(id))
        issues.push({ field: `body.${stage}.${i}`, value: id, expected: 'each attachment id once' });
      else if (!have.includes(id))
        issues.push({
          field: `body.${stage}.${i}`,
          value: id,
          expected: `the id of one of this agent's ${stage}-stage attachments (${have.join(', ') || 'none'})`,
        });
      seen.add(id);
    });
    const missing = have.filter((id) => !seen.has(id));
    if (missing.length)
      issues.push({
        field: `body.${stage}`,
        value: ids,
        expected: `every ${stage}-stage attachment of the agent; missing ${missing.join(', ')}`,
      });
  }
  return issues;
}

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
    async (req) => ({ items: attachmentsInOrder(store, agentOf((req.params as { id: string }).id).id) }),
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
  orderRoute(app, store, agentOf);
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

/** `PUT /agents/{id}/attachments/order`: a stage's whole order in one request, written atomically. */
function orderRoute(app: FastifyInstance, store: Store, agentOf: (id: string) => { id: string }): void {
  app.put(
    '/agents/:id/attachments/order',
    {
      schema: {
        tags: ['agents'],
        summary: 'Set the execution order of one or more stages at once (all of a stage, in order)',
        params: AgentParams,
        body: AttachmentOrder,
      },
    },
    async (req) => {
      const agent = agentOf((req.params as { id: string }).id);
      const order = req.body as AttachmentOrder;
      const setPosition = store.db.prepare(
        'UPDATE agent_actions SET position = ?, updated_at = ? WHERE id = ?',
      );
      // One transaction: a call that loads the plan sees the old order or the new one, never a mix.
      store.db
        .transaction(() => {
          const current = store.db
            .prepare('SELECT id, stage FROM agent_actions WHERE agent_id = ?')
            .all(agent.id) as Array<{ id: string; stage: Stage }>;
          const issues = orderIssues(current, order);
          if (issues.length) throw invalid(issues);
          const now = new Date().toISOString();
          for (const stage of STAGES) order[stage]?.forEach((id, i) => setPosition.run(i, now, id));
        })
        .immediate();
      return { items: attachmentsInOrder(store, agent.id) };
    },
  );
}
