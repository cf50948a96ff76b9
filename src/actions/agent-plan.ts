import { Type, type Static } from '@sinclair/typebox';
import type { ActionDefinitionRecord, AttachmentRecord, Stage, Store } from '../store/store.js';
import type { CallwrightError, FieldIssue } from '../errors.js';
import { check, validationError } from '../util/validate.js';
import type { AnyActionType } from './action-type.js';
import type { ActionRegistry } from './registry.js';
import { parseFailurePolicy, FailurePolicySchema, type FailurePolicy } from './failure-policy.js';
import { TriggerListSchema, type Trigger } from './triggers/trigger.js';
import { parseCondition, type Expr } from './triggers/condition-expression.js';
import { compileDtmfPattern } from './triggers/dtmf-pattern.js';
import { toolName } from './tool-description.js';

export const STAGES: readonly Stage[] = ['before', 'during', 'after'];

/** Body of POST /agents/:id/actions and of an attachment in an imported agent file. */
export const AttachmentInput = Type.Object(
  {
    action_id: Type.String({ minLength: 1, description: 'Id (or name) of the action definition' }),
    stage: Type.Union(STAGES.map((s) => Type.Literal(s))),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10000 })),
    triggers: Type.Optional(TriggerListSchema),
    failure_policy: Type.Optional(FailurePolicySchema),
  },
  { additionalProperties: false },
);
export type AttachmentInput = Static<typeof AttachmentInput>;

/** Which trigger kinds make sense at which stage. */
function triggerStageIssue(t: Trigger, stage: Stage, field: string): FieldIssue | undefined {
  const liveOnly = t.kind === 'tool' || t.kind === 'intent' || t.kind === 'dtmf';
  if (liveOnly && stage !== 'during') {
    return {
      field: `${field}.kind`,
      value: t.kind,
      expected: `condition or event at stage ${stage}; ${t.kind} fires only during the call`,
    };
  }
  if (t.kind === 'event') {
    // Events that happen once the call is over fire after-stage attachments.
    const afterCall = t.event === 'ended' || t.event === 'recording-ready';
    const ok = afterCall ? stage === 'after' : stage === 'during';
    if (!ok)
      return {
        field: `${field}.event`,
        value: t.event,
        expected: afterCall ? `stage after for the ${t.event} event` : `stage during for ${t.event}`,
      };
  }
  return undefined;
}

/** Checks triggers beyond their schema: stage fit, condition syntax, DTMF pattern syntax. */
export function triggerIssues(triggers: readonly Trigger[], stage: Stage): FieldIssue[] {
  const issues: FieldIssue[] = [];
  triggers.forEach((t, i) => {
    const field = `triggers.${i}`;
    const stageIssue = triggerStageIssue(t, stage, field);
    if (stageIssue) issues.push(stageIssue);
    try {
      if (t.kind === 'condition') parseCondition(t.expression);
      if (t.kind === 'dtmf') {
        if (!t.digits && !t.pattern) issues.push({ field, expected: 'digits or pattern' });
        if (t.pattern) compileDtmfPattern(t.pattern);
      }
    } catch (err) {
      const e = err as CallwrightError;
      const isCondition = t.kind === 'condition';
      issues.push({
        field: `${field}.${isCondition ? 'expression' : 'pattern'}`,
        value: isCondition ? t.expression : t.kind === 'dtmf' ? t.pattern : undefined,
        expected: e.issues[0]?.expected ?? e.message,
      });
    }
  });
  return issues;
}

function fail(issues: FieldIssue[]): never {
  throw validationError(issues);
}

/** Validates an attachment for an agent; resolves the definition by id or name; returns the row fields. */
export async function validateAttachment(
  store: Store,
  registry: ActionRegistry,
  input: unknown,
): Promise<{
  definition: ActionDefinitionRecord;
  fields: Required<Omit<AttachmentInput, 'position'>> & { position?: number };
}> {
  const body = structuredClone(input ?? {}) as AttachmentInput;
  const schemaIssues = check(AttachmentInput, body);
  if (schemaIssues.length) fail(schemaIssues);
  const definition =
    (await store.actions.get(body.action_id)) ?? (await store.actions.findBy('name', body.action_id));
  if (!definition)
    fail([{ field: 'action_id', value: body.action_id, expected: 'the id or name of an action definition' }]);
  registry.assertStage(definition.type, body.stage);
  const triggers = body.triggers ?? [];
  const issues = triggerIssues(triggers, body.stage);
  if (issues.length) fail(issues);
  const failure_policy = parseFailurePolicy(body.failure_policy ?? {});
  return {
    definition,
    fields: {
      action_id: definition.id,
      stage: body.stage,
      position: body.position,
      triggers,
      failure_policy,
    },
  };
}

/** One attachment ready to run. */
export interface PlannedAction {
  attachment: AttachmentRecord;
  definition: ActionDefinitionRecord;
  type: AnyActionType;
  triggers: Trigger[];
  conditions: Map<Trigger, Expr>;
  policy: FailurePolicy;
  toolName: string;
}

/**
 * What one run executes, whatever asked for it: an attachment's definition, or an inline action an
 * agent command asked for (a `transfer`, a `voicemail`), which has no definition and no attachment.
 * Every run, either kind, goes through ActionRunner and gets an `action_runs` row.
 */
export interface RunSubject {
  /** The definition row; null for an inline run (its history row stores action_id NULL). */
  definitionId: string | null;
  attachmentId: string | null;
  /** The definition's name, or the type's name for an inline run. */
  name: string;
  description: string;
  type: AnyActionType;
  /** Templates not rendered yet: the stored config, or the inline config (validated by the type). */
  config: Record<string, unknown>;
  stage: Stage;
  policy: FailurePolicy;
}

export function subjectOf(plan: PlannedAction): RunSubject {
  return {
    definitionId: plan.definition.id,
    attachmentId: plan.attachment.id,
    name: plan.definition.name,
    description: plan.definition.description,
    type: plan.type,
    config: plan.definition.config,
    stage: plan.attachment.stage,
    policy: plan.policy,
  };
}

/**
 * An agent's enabled attachments in execution order: stage, then position, then creation. Disabled
 * definitions are left out, so they never run (the runner checks `enabled` again before each run).
 */
export async function loadAgentPlan(
  store: Store,
  registry: ActionRegistry,
  agentId: string,
): Promise<PlannedAction[]> {
  const rows = await store.sql.all<{ id: string }>(PLAN_ATTACHMENTS, [agentId]);
  const plan: PlannedAction[] = [];
  for (const { id } of rows) {
    // An attachment or definition deleted since the first read (another request, another node) is
    // simply no longer part of the plan.
    const attachment = await store.attachments.get(id);
    const definition = attachment && (await store.actions.get(attachment.action_id));
    if (!attachment || !definition) continue;
    const triggers = attachment.triggers as Trigger[];
    const conditions = new Map<Trigger, Expr>();
    for (const t of triggers) if (t.kind === 'condition') conditions.set(t, parseCondition(t.expression));
    plan.push({
      attachment,
      definition,
      type: registry.get(definition.type),
      triggers,
      conditions,
      policy: parseFailurePolicy(attachment.failure_policy),
      toolName: toolName(definition.name),
    });
  }
  return plan;
}

const PLAN_ATTACHMENTS = `SELECT a.id FROM agent_actions a JOIN action_definitions d ON d.id = a.action_id
  WHERE a.agent_id = ? AND d.enabled = 1
  ORDER BY CASE a.stage WHEN 'before' THEN 0 WHEN 'during' THEN 1 ELSE 2 END, a.position, a.created_at, a.id`;
