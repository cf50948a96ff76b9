import { Type, type Static } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import type { AgentRecord, Store } from '../store/store.js';
import { CallwrightError, type FieldIssue } from '../errors.js';
import { check } from '../util/validate.js';
import { AgentCreate } from '../api/schemas/agents.js';
import { convertBracketsDeep } from '../templates/bracket-placeholders.js';
import type { ActionEngine } from '../actions/action-engine.js';
import { validateAttachment } from '../actions/agent-plan.js';
import { TriggerListSchema } from '../actions/triggers/trigger.js';
import { FailurePolicySchema } from '../actions/failure-policy.js';
import { validateAgentConfig } from './create-agent.js';
import { agentSpeechIssues } from '../speech/agent-speech.js';

/** An agent file: the agent, its action definitions and where they are attached. */
export const AgentFile = Type.Object(
  {
    agent: AgentCreate,
    actions: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 500 })),
    attachments: Type.Optional(
      Type.Array(
        Type.Object(
          {
            action: Type.String({
              minLength: 1,
              description: 'Name of a definition (in this file or existing)',
            }),
            stage: Type.String(),
            position: Type.Optional(Type.Integer({ minimum: 0 })),
            triggers: Type.Optional(TriggerListSchema),
            failure_policy: Type.Optional(FailurePolicySchema),
          },
          { additionalProperties: false },
        ),
        { maxItems: 500 },
      ),
    ),
  },
  { additionalProperties: false },
);
export type AgentFile = Static<typeof AgentFile>;

type Outcome = 'created' | 'updated' | 'unchanged';
export interface ImportReport {
  agent: { id: string; name: string; outcome: Outcome };
  actions: Array<{ name: string; outcome: Outcome }>;
  attachments: Array<{ action: string; stage: string; outcome: Outcome | 'removed' }>;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

function prefixed(err: unknown, prefix: string): CallwrightError {
  if (!(err instanceof CallwrightError)) throw err;
  const issues: FieldIssue[] = err.issues.map((i) => ({
    ...i,
    field: `${prefix}.${i.field.replace(/^body\./, '')}`,
  }));
  const first = issues[0];
  return new CallwrightError(
    err.code,
    first ? `${first.field}: ${err.message.replace(/^[^:]*: /, '')}` : `${prefix}: ${err.message}`,
    issues,
  );
}

/** Parses YAML text; a syntax error names the line. */
export function parseAgentFile(text: string, file = 'file'): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    throw new CallwrightError('VALIDATION', `${file}: ${(err as Error).message}`, [
      { field: file, expected: 'valid YAML' },
    ]);
  }
}

/**
 * Imports an agent with its actions, idempotently: the agent and definitions are matched by name and
 * only written when something differs; the agent's attachments become exactly those in the file.
 * Everything is validated (definitions by their type's schema) before anything is written, in one
 * transaction. `[first_name]` placeholders in action configs are converted to Liquid.
 */
export async function importAgent(store: Store, engine: ActionEngine, input: unknown): Promise<ImportReport> {
  const doc = structuredClone(input ?? {}) as AgentFile;
  const issues = check(AgentFile, doc);
  if (!issues.length) issues.push(...agentSpeechIssues(doc.agent.speech, 'agent.speech'));
  if (issues.length) {
    const first = issues[0]!;
    throw new CallwrightError('VALIDATION', `${first.field}: expected ${first.expected}`, issues);
  }
  // The agent's own config (a scripted agent's steps, a webhook agent's URL) is checked for its kind
  // when the file gives one; an agent imported only to wire actions may leave it out.
  if (doc.agent.config && Object.keys(doc.agent.config).length)
    validateAgentConfig(doc.agent.kind, doc.agent.config, 'agent.config');
  const definitions = (doc.actions ?? []).map((raw, i) => {
    try {
      const converted = { ...raw, config: convertBracketsDeep(raw.config ?? {}) };
      return engine.definitions.validate(converted);
    } catch (err) {
      throw prefixed(err, `actions.${i}`);
    }
  });
  return store.transaction(async (): Promise<ImportReport> => {
    const report: ImportReport = {
      agent: await upsertAgent(store, doc.agent),
      actions: [],
      attachments: [],
    };
    for (const def of definitions) {
      const existing = await store.actions.findBy('name', def.name);
      if (!existing) {
        await store.actions.create(def);
        report.actions.push({ name: def.name, outcome: 'created' });
      } else if (
        !same(
          { ...def },
          {
            name: existing.name,
            type: existing.type,
            description: existing.description,
            config: existing.config,
            enabled: existing.enabled,
          },
        )
      ) {
        await engine.definitions.update(existing.id, def);
        report.actions.push({ name: def.name, outcome: 'updated' });
      } else report.actions.push({ name: def.name, outcome: 'unchanged' });
    }
    report.attachments = await syncAttachments(store, engine, report.agent.id, doc.attachments ?? []);
    return report;
  });
}

async function upsertAgent(store: Store, agent: AgentFile['agent']): Promise<ImportReport['agent']> {
  const existing = await store.agents.findBy('name', agent.name);
  if (!existing) {
    const created = await store.agents.create(agent as Partial<AgentRecord>);
    return { id: created.id, name: created.name, outcome: 'created' };
  }
  const changed = Object.entries(agent).some(([k, v]) => !same(v, existing[k]));
  if (changed) await store.agents.update(existing.id, agent as Partial<AgentRecord>);
  return { id: existing.id, name: existing.name, outcome: changed ? 'updated' : 'unchanged' };
}

async function syncAttachments(
  store: Store,
  engine: ActionEngine,
  agentId: string,
  list: NonNullable<AgentFile['attachments']>,
): Promise<ImportReport['attachments']> {
  const out: ImportReport['attachments'] = [];
  const keep = new Set<string>();
  const perStage = new Map<string, number>();
  for (const [i, a] of list.entries()) {
    const position = a.position ?? perStage.get(a.stage) ?? 0;
    perStage.set(a.stage, position + 1);
    let fields;
    try {
      fields = (
        await validateAttachment(store, engine.registry, {
          action_id: a.action,
          stage: a.stage,
          position,
          triggers: a.triggers,
          failure_policy: a.failure_policy,
        })
      ).fields;
    } catch (err) {
      throw prefixed(err, `attachments.${i}`);
    }
    const existing = await store.sql.get<{ id: string }>(
      'SELECT id FROM agent_actions WHERE agent_id = ? AND action_id = ? AND stage = ?',
      [agentId, fields.action_id, fields.stage],
    );
    const row = { agent_id: agentId, ...fields, position };
    if (!existing) {
      keep.add((await store.attachments.create(row)).id);
      out.push({ action: a.action, stage: a.stage, outcome: 'created' });
      continue;
    }
    keep.add(existing.id);
    const current = await store.attachments.require(existing.id);
    const changed = !same(
      { position: current.position, triggers: current.triggers, failure_policy: current.failure_policy },
      { position, triggers: fields.triggers, failure_policy: fields.failure_policy },
    );
    if (changed) await store.attachments.update(existing.id, row);
    out.push({ action: a.action, stage: a.stage, outcome: changed ? 'updated' : 'unchanged' });
  }
  const rows = await store.sql.all<{ id: string; action_id: string; stage: string }>(
    'SELECT id, action_id, stage FROM agent_actions WHERE agent_id = ? ORDER BY rowid',
    [agentId],
  );
  for (const row of rows) {
    if (keep.has(row.id)) continue;
    await store.attachments.delete(row.id);
    out.push({
      action: (await store.actions.get(row.action_id))?.name ?? row.action_id,
      stage: row.stage,
      outcome: 'removed',
    });
  }
  return out;
}
