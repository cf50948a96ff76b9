import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import { errorResponses, IdParams, listQuery, Timestamp } from '../schemas/common.js';
import { CallwrightError, type FieldIssue } from '../../errors.js';
import { CampaignRepository } from '../../campaigns/campaign-repository.js';
import type { CampaignRecord, RetryPolicy } from '../../campaigns/campaign-types.js';
import type { Store } from '../../store/store.js';

const RetryRule = Type.Object(
  {
    delay_s: Type.Number({ minimum: 0, maximum: 7 * 86400, description: 'Wait before the next attempt (s)' }),
    max_attempts: Type.Integer({
      minimum: 1,
      maximum: 20,
      description: 'Most attempts on a contact when the last ended so (1 = no retry)',
    }),
  },
  { additionalProperties: false },
);

export const CampaignCreate = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    agent: Type.String({ minLength: 1, maxLength: 100, description: 'Agent id or name' }),
    contacts: Type.Object(
      {
        list: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'List id or name' })),
        tag: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Tag id or name' })),
        contact_ids: Type.Optional(
          Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100000 }),
        ),
      },
      {
        additionalProperties: false,
        description: 'Who is called: the union of a list, a tag and contact ids',
      },
    ),
    trunk: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'Trunk name (sip.trunks)' }),
    ),
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Caller id (From user)' })),
    variables: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    start_at: Type.Optional(
      Type.String({ format: 'date-time', description: 'No attempt before (ISO 8601)' }),
    ),
    end_by: Type.Optional(
      Type.String({ format: 'date-time', description: 'Contacts not reached by then end as expired' }),
    ),
    calls_per_second: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 1 })),
    max_concurrent: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1 })),
    ring_timeout_ms: Type.Optional(Type.Integer({ minimum: 1000, maximum: 300000 })),
    retry: Type.Optional(
      Type.Object(
        {
          busy: Type.Optional(RetryRule),
          'no-answer': Type.Optional(RetryRule),
          machine: Type.Optional(RetryRule),
          failed: Type.Optional(RetryRule),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const Progress = Type.Object({
  total: Type.Integer(),
  done: Type.Integer(),
  by_status: Type.Record(Type.String(), Type.Integer()),
});

const Campaign = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    status: Type.String({ description: 'running | paused | cancelled | completed' }),
    progress: Progress,
  },
  { additionalProperties: true },
);

const ActionParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 100 }),
  action: Type.Union([Type.Literal('pause'), Type.Literal('resume'), Type.Literal('cancel')]),
});

type Body = Static<typeof CampaignCreate>;

async function view(repo: CampaignRepository, c: CampaignRecord): Promise<Record<string, unknown>> {
  return { ...c, progress: await repo.progress(c.id) };
}

const LIST_BY_REF = 'SELECT id FROM lists WHERE id = ? OR name = ?';
const LIST_MEMBERS = 'SELECT contact_id FROM list_members WHERE list_id = ? ORDER BY created_at, rowid';
const TAG_BY_REF = 'SELECT id FROM tags WHERE id = ? OR name = ?';
const TAG_MEMBERS = 'SELECT contact_id FROM contact_tags WHERE tag_id = ? ORDER BY created_at, rowid';

/**
 * The contact ids a campaign calls, in order: the list's, then the tag's (each in the order the
 * contacts were added), then explicit ids; no repeats.
 */
async function audienceOf(store: Store, body: Body): Promise<string[]> {
  const { list, tag, contact_ids } = body.contacts;
  const issues: FieldIssue[] = [];
  const ids: string[] = [];
  if (list !== undefined) {
    const l = await store.sql.get<{ id: string }>(LIST_BY_REF, [list, list]);
    if (!l)
      issues.push({ field: 'contacts.list', value: list, expected: 'the id or name of an existing list' });
    else
      for (const r of await store.sql.all<{ contact_id: string }>(LIST_MEMBERS, [l.id]))
        ids.push(r.contact_id);
  }
  if (tag !== undefined) {
    const t = await store.sql.get<{ id: string }>(TAG_BY_REF, [tag, tag]);
    if (!t) issues.push({ field: 'contacts.tag', value: tag, expected: 'the id or name of an existing tag' });
    else
      for (const r of await store.sql.all<{ contact_id: string }>(TAG_MEMBERS, [t.id]))
        ids.push(r.contact_id);
  }
  for (const [i, id] of (contact_ids ?? []).entries()) {
    if (!(await store.contacts.get(id)))
      issues.push({
        field: `contacts.contact_ids.${i}`,
        value: id,
        expected: 'the id of an existing contact',
      });
    else ids.push(id);
  }
  if (issues.length)
    throw new CallwrightError(
      'VALIDATION',
      issues.map((i) => `${i.field}: got ${JSON.stringify(i.value)}, expected ${i.expected}`).join('; '),
      issues,
    );
  const unique = [...new Set(ids)];
  if (!unique.length)
    throw new CallwrightError('VALIDATION', 'contacts: the campaign has no contacts to call', [
      {
        field: 'contacts',
        value: body.contacts,
        expected: 'a list, a tag or contact_ids naming at least one contact',
      },
    ]);
  return unique;
}

/**
 * Campaigns (docs/campaigns.md): create, list, show with progress, per-contact results with their
 * attempts, pause / resume / cancel. The server's campaign runner picks running campaigns up on its
 * next tick; these routes only read and write the store.
 */
export async function campaignRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const repo = new CampaignRepository(deps.store.sql);

  app.post<{ Body: Body }>(
    '/campaigns',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'Create a campaign (it starts at start_at, or at once)',
        body: CampaignCreate,
        response: { 201: Campaign, ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const agent = await deps.store.agents.byIdOrName(b.agent);
      if (!agent)
        throw new CallwrightError(
          'VALIDATION',
          `agent: got ${JSON.stringify(b.agent)}, expected the id or name of an existing agent`,
          [{ field: 'agent', value: b.agent, expected: 'the id or name of an existing agent' }],
        );
      const trunks = deps.config.sip.trunks.map((t) => t.name);
      if (b.trunk !== undefined && !trunks.includes(b.trunk))
        throw new CallwrightError(
          'VALIDATION',
          `trunk: got ${JSON.stringify(b.trunk)}, expected one of the configured trunks (sip.trunks): ${trunks.join(', ') || 'none'}`,
          [
            {
              field: 'trunk',
              value: b.trunk,
              expected: `one of: ${trunks.join(', ') || '(no trunks configured)'}`,
            },
          ],
        );
      if (b.start_at && b.end_by && new Date(b.end_by) <= new Date(b.start_at))
        throw new CallwrightError(
          'VALIDATION',
          `end_by: got ${b.end_by}, expected a time after start_at (${b.start_at})`,
          [{ field: 'end_by', value: b.end_by, expected: `a time after start_at (${b.start_at})` }],
        );
      if (b.end_by && new Date(b.end_by) <= new Date())
        throw new CallwrightError('VALIDATION', `end_by: got ${b.end_by}, expected a time in the future`, [
          { field: 'end_by', value: b.end_by, expected: 'a time in the future' },
        ]);
      // The audience is read and the campaign written in one unit: its contacts exist when it starts.
      const created = await deps.store.transaction(async () =>
        repo.create(
          {
            name: b.name,
            agent_id: agent.id,
            audience: b.contacts,
            trunk: b.trunk ?? null,
            from_number: b.from ?? null,
            variables: b.variables ?? {},
            start_at: b.start_at ? new Date(b.start_at).toISOString() : null,
            end_by: b.end_by ? new Date(b.end_by).toISOString() : null,
            calls_per_second: b.calls_per_second ?? 1,
            max_concurrent: b.max_concurrent ?? 1,
            ring_timeout_ms: b.ring_timeout_ms ?? null,
            retry: (b.retry ?? {}) as RetryPolicy,
          },
          await audienceOf(deps.store, b),
        ),
      );
      return reply.code(201).send(await view(repo, created));
    },
  );

  app.get<{ Querystring: { limit: number; offset: number } }>(
    '/campaigns',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'List campaigns with their progress',
        querystring: listQuery(),
        response: {
          200: Type.Object({
            items: Type.Array(Campaign),
            total: Type.Integer(),
            limit: Type.Integer(),
            offset: Type.Integer(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { limit, offset } = req.query;
      const page = await repo.list(limit, offset);
      const items: Array<Record<string, unknown>> = [];
      for (const c of page.items) items.push(await view(repo, c));
      return { items, total: page.total, limit, offset };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/campaigns/:id',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'A campaign (by id or name) with its progress: counts by status, done / total',
        params: IdParams,
        response: { 200: Campaign, ...errorResponses },
      },
    },
    async (req) => view(repo, await repo.require(req.params.id)),
  );

  app.get<{ Params: { id: string }; Querystring: { limit: number; offset: number } }>(
    '/campaigns/:id/contacts',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'Per-contact results: status, attempts with their outcomes and calls, next attempt time',
        params: IdParams,
        querystring: listQuery(),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object(
                {
                  contact_id: Type.String(),
                  phone: Type.String(),
                  status: Type.String(),
                  attempts: Type.Integer(),
                  next_at: Type.Union([Timestamp, Type.Null()]),
                  reason: Type.Union([Type.String(), Type.Null()]),
                  history: Type.Array(Type.Object({}, { additionalProperties: true })),
                },
                { additionalProperties: true },
              ),
            ),
            total: Type.Integer(),
            limit: Type.Integer(),
            offset: Type.Integer(),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const c = await repo.require(req.params.id);
      const { limit, offset } = req.query;
      const page = await repo.contacts(c.id, limit, offset);
      const byContact = new Map<string, unknown[]>();
      const attempts = await repo.attempts(
        c.id,
        page.map((cc) => cc.contact_id),
      );
      for (const a of attempts) {
        const list = byContact.get(a.contact_id) ?? [];
        list.push({
          attempt: a.attempt,
          status: a.status,
          outcome: a.outcome,
          reason: a.reason,
          call_id: a.call_id,
          claimed_at: a.claimed_at,
          ended_at: a.ended_at,
        });
        byContact.set(a.contact_id, list);
      }
      const items = page.map((cc) => ({
        contact_id: cc.contact_id,
        phone: cc.phone,
        timezone: cc.timezone,
        status: cc.status,
        attempts: cc.attempts,
        next_at: cc.next_at,
        reason: cc.reason,
        history: byContact.get(cc.contact_id) ?? [],
      }));
      return { items, total: (await repo.progress(c.id)).total, limit, offset };
    },
  );

  app.post<{ Params: Static<typeof ActionParams> }>(
    '/campaigns/:id/:action',
    {
      schema: {
        tags: ['campaigns'],
        summary: 'Pause, resume or cancel a campaign (calls in progress finish either way)',
        params: ActionParams,
        response: { 200: Campaign, ...errorResponses },
      },
    },
    async (req) => {
      const { action } = req.params;
      const allowed = { pause: ['running'], resume: ['paused'], cancel: ['running', 'paused'] }[action];
      // The status is checked and changed in one transaction: two requests cannot both pass the check.
      const id = await deps.store.transaction(async () => {
        const c = await repo.require(req.params.id);
        if (!allowed.includes(c.status))
          throw new CallwrightError(
            'PRECONDITION',
            `cannot ${action} campaign ${c.name}: it is ${c.status}, expected ${allowed.join(' or ')}`,
            [{ field: 'status', value: c.status, expected: allowed.join(' or ') }],
          );
        await repo.setStatus(
          c.id,
          action === 'pause' ? 'paused' : action === 'resume' ? 'running' : 'cancelled',
        );
        if (action === 'cancel') await repo.closePending(c.id, 'cancelled', 'campaign cancelled');
        return c.id;
      });
      return view(repo, await repo.require(id));
    },
  );
}
