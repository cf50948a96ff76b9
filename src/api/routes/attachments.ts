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

const IN_ORDER = `SELECT a.id, d.name, d.enabled FROM agent_actions a JOIN action_definitions d ON d.id = a.action_id
  WHERE a.agent_id = ?
  ORDER BY CASE a.stage WHEN 'before' THEN 0 WHEN 'during' THEN 1 ELSE 2 END, a.position, a.created_at, a.id`;
const NEXT_POSITION =
  'SELECT coalesce(max(position) + 1, 0) AS p FROM agent_actions WHERE agent_id = ? AND stage = ?';
const ATTACHED = 'SELECT id FROM agent_actions WHERE agent_id = ? AND action_id = ? AND stage = ?';
const STAGE_IDS = 'SELECT id, stage FROM agent_actions WHERE agent_id = ?';
const SET_POSITION = 'UPDATE agent_actions SET position = ?, updated_at = ? WHERE id = ?';

/** An agent's attachments in execution order (the order `loadAgentPlan` runs them), with the definition's name. */
async function attachmentsInOrder(store: Store, agentId: string) {
  const rows = await store.sql.all<{ id: string; name: string; enabled: number }>(IN_ORDER, [agentId]);
  const items = [];
  for (const r of rows) {
    items.push({ ...(await store.attachments.require(r.id)), action: r.name, enabled: r.enabled === 1 });
  }
  return items;
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
  const agentOf = async (id: string) => {
    const agent = await store.agents.byIdOrName(id);
    if (!agent) throw notFound('agent', id);
    return agent;
  };
  const attachmentOf = async (agentId: string, id: string): Promise<AttachmentRecord> => {
    const att = await store.attachments.get(id);
    if (!att || att.agent_id !== agentId) throw notFound('attachment', id);
    return att;
  };

  app.get(
    '/agents/:id/actions',
    { schema: { tags, summary: "An agent's attachments in execution order", params: AgentParams } },
    async (req) => ({
      items: await attachmentsInOrder(store, (await agentOf((req.params as { id: string }).id)).id),
    }),
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
      const agent = await agentOf((req.params as { id: string }).id);
      const { fields } = await validateAttachment(store, engine.registry, req.body);
      // The duplicate check and the next position must see the rows the insert lands next to.
      const created = await store.transaction(async () => {
        if (await store.sql.get(ATTACHED, [agent.id, fields.action_id, fields.stage])) {
          throw new CallwrightError(
            'CONFLICT',
            'this action is already attached to the agent at this stage',
            [
              {
                field: 'body.action_id',
                value: fields.action_id,
                expected: 'an action not yet attached at this stage (PATCH the existing attachment)',
              },
            ],
          );
        }
        const next = await store.sql.get<{ p: number }>(NEXT_POSITION, [agent.id, fields.stage]);
        return store.attachments.create({
          agent_id: agent.id,
          ...fields,
          position: fields.position ?? Number(next?.p ?? 0),
        });
      });
      reply.code(201);
      return created;
    },
  );
  app.patch(
    '/agents/:id/actions/:attachmentId',
    { schema: { tags, summary: 'Change an attachment', params: AttachmentParams, body: AttachmentPatch } },
    async (req) => {
      const { id, attachmentId } = req.params as { id: string; attachmentId: string };
      const body = req.body as Partial<AttachmentInput>;
      // Read, merge and write as one unit: a concurrent change is not lost under the merged fields.
      return store.transaction(async () => {
        const agent = await agentOf(id);
        const current = await attachmentOf(agent.id, attachmentId);
        const { fields } = await validateAttachment(store, engine.registry, {
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
      });
    },
  );
  orderRoute(app, store, agentOf);
  app.delete(
    '/agents/:id/actions/:attachmentId',
    { schema: { tags, summary: 'Detach', params: AttachmentParams } },
    async (req, reply) => {
      const { id, attachmentId } = req.params as { id: string; attachmentId: string };
      await store.transaction(async () => {
        const att = await attachmentOf((await agentOf(id)).id, attachmentId);
        await store.attachments.delete(att.id);
      });
      reply.code(204);
    },
  );
}

/** `PUT /agents/{id}/attachments/order`: a stage's whole order in one request, written atomically. */
function orderRoute(
  app: FastifyInstance,
  store: Store,
  agentOf: (id: string) => Promise<{ id: string }>,
): void {
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
      const agent = await agentOf((req.params as { id: string }).id);
      const order = req.body as AttachmentOrder;
      // One transaction: a call that loads the plan sees the old order or the new one, never a mix.
      await store.transaction(async () => {
        const current = await store.sql.all<{ id: string; stage: Stage }>(STAGE_IDS, [agent.id]);
        const issues = orderIssues(current, order);
        if (issues.length) throw invalid(issues);
        const now = new Date().toISOString();
        for (const stage of STAGES) {
          for (const [i, id] of (order[stage] ?? []).entries())
            await store.sql.run(SET_POSITION, [i, now, id]);
        }
      });
      return { items: await attachmentsInOrder(store, agent.id) };
    },
  );
}
