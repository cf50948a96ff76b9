import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { CallwrightError, FieldIssue } from '../../errors.js';
import { check, validationError } from '../../util/validate.js';
import { parseCondition } from '../../actions/triggers/condition-expression.js';
import { compileDtmfPattern } from '../../actions/triggers/dtmf-pattern.js';
import { TemplateRenderer } from '../../templates/template-renderer.js';

const Strict = { additionalProperties: false } as const;
const StepId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Label for goto' });
const Text = Type.String({ minLength: 1, maxLength: 4000 });
const Goto = Type.Optional(StepId);

const Say = Type.Union([
  Text,
  Type.Object(
    { text: Text, interrupt: Type.Optional(Type.Boolean()), barge_in: Type.Optional(Type.Boolean()) },
    Strict,
  ),
]);
const Play = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object({ path: Type.String({ minLength: 1 }), interrupt: Type.Optional(Type.Boolean()) }, Strict),
]);
const Gather = Type.Object(
  {
    input: Type.Optional(Type.Union([Type.Literal('dtmf'), Type.Literal('speech'), Type.Literal('any')])),
    prompt: Type.Optional(Text),
    max_digits: Type.Optional(Type.Integer({ minimum: 1, maximum: 32 })),
    finish_on_key: Type.Optional(Type.String({ pattern: '^[0-9*#]$' })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 120000 })),
    inter_digit_timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 60000 })),
    into: Type.Optional(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' })),
    barge_in: Type.Optional(Type.Boolean()),
  },
  Strict,
);
const BranchArm = Type.Object(
  {
    dtmf: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Digits or a DTMF pattern' }),
    ),
    intent: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1 })),
    condition: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    no_input: Type.Optional(Type.Literal(true)),
    default: Type.Optional(Type.Literal(true)),
    goto: StepId,
  },
  Strict,
);
const Branch = Type.Array(BranchArm, { minItems: 1, maxItems: 50 });
const ActionStep = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object(
    {
      name: Type.String({ minLength: 1 }),
      args: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      on_failure: Goto,
    },
    Strict,
  ),
]);
const Transfer = Type.Object(
  {
    target: Type.String({
      minLength: 1,
      format: 'transfer-target',
      description: 'A named target of the agent, an E.164 number or a SIP URI',
    }),
    mode: Type.Optional(Type.Union([Type.Literal('cold'), Type.Literal('warm')])),
    options: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    on_failure: Goto,
  },
  Strict,
);
const Voicemail = Type.Union([
  Type.Literal(true),
  Type.Object({ options: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }, Strict),
]);
const Hangup = Type.Union([
  Type.Literal(true),
  Type.Object({ say: Type.Optional(Text), reason: Type.Optional(Type.String({ maxLength: 200 })) }, Strict),
]);

/** Each step is an object with one of these keys (plus an optional `id`). */
export const STEP_KINDS: Record<string, TSchema> = {
  say: Say,
  play: Play,
  gather: Gather,
  branch: Branch,
  action: ActionStep,
  transfer: Transfer,
  voicemail: Voicemail,
  hangup: Hangup,
  goto: StepId,
  collect: Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' }), Type.Unknown()),
};

export type ScriptStep = { id?: string } & (
  | { say: Static<typeof Say> }
  | { play: Static<typeof Play> }
  | { gather: Static<typeof Gather> }
  | { branch: Static<typeof Branch> }
  | { action: Static<typeof ActionStep> }
  | { transfer: Static<typeof Transfer> }
  | { voicemail: Static<typeof Voicemail> }
  | { hangup: Static<typeof Hangup> }
  | { goto: string }
  | { collect: Record<string, unknown> }
);
export type BranchArm = Static<typeof BranchArm>;

export interface Script {
  steps: ScriptStep[];
  voice?: string;
  language?: string;
}

const templates = new TemplateRenderer();

function stepIssues(step: unknown, field: string, ids: Set<string>): FieldIssue[] {
  if (!step || typeof step !== 'object' || Array.isArray(step))
    return [{ field, value: step, expected: `an object with one of ${Object.keys(STEP_KINDS).join(', ')}` }];
  const { id, ...rest } = step as Record<string, unknown>;
  const issues: FieldIssue[] = [];
  if (id !== undefined) issues.push(...check(StepId, id, `${field}.id`));
  const kinds = Object.keys(rest);
  const kind = kinds[0];
  if (kinds.length !== 1 || !kind || !(kind in STEP_KINDS)) {
    return [
      ...issues,
      {
        field,
        value: kinds.join(', ') || undefined,
        expected: `exactly one step key: ${Object.keys(STEP_KINDS).join(', ')} (and an optional id)`,
      },
    ];
  }
  const value = rest[kind];
  const schemaIssues = check(STEP_KINDS[kind]!, value, `${field}.${kind}`);
  // Unions report every branch; the object form's issues are the informative ones.
  if (schemaIssues.length)
    return [...issues, ...schemaIssues.filter((i) => i.expected !== 'string').slice(0, 5)];
  issues.push(...semanticIssues(kind, value, `${field}.${kind}`, ids));
  return issues;
}

function semanticIssues(kind: string, value: unknown, field: string, ids: Set<string>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const gotoCheck = (target: unknown, f: string): void => {
    if (typeof target === 'string' && !ids.has(target))
      issues.push({
        field: f,
        value: target,
        expected: `the id of a step (${[...ids].join(', ') || 'none defined'})`,
      });
  };
  const templateCheck = (text: unknown, f: string): void => {
    if (typeof text !== 'string') return;
    try {
      templates.parse(text, f);
    } catch (err) {
      issues.push({
        field: f,
        value: text,
        expected: (err as CallwrightError).issues?.[0]?.expected ?? 'a valid template',
      });
    }
  };
  if (kind === 'say')
    templateCheck(typeof value === 'string' ? value : (value as { text: string }).text, field);
  if (kind === 'gather') templateCheck((value as { prompt?: string }).prompt, `${field}.prompt`);
  if (kind === 'hangup' && typeof value === 'object')
    templateCheck((value as { say?: string }).say, `${field}.say`);
  if (kind === 'goto') gotoCheck(value, field);
  if ((kind === 'action' || kind === 'transfer') && typeof value === 'object')
    gotoCheck((value as { on_failure?: string }).on_failure, `${field}.on_failure`);
  if (kind === 'branch') {
    (value as BranchArm[]).forEach((arm, i) => {
      const f = `${field}.${i}`;
      const tests = ['dtmf', 'intent', 'condition', 'no_input', 'default'].filter((k) => k in arm);
      if (tests.length !== 1)
        issues.push({
          field: f,
          value: tests.join(', ') || undefined,
          expected: 'exactly one of dtmf, intent, condition, no_input, default',
        });
      gotoCheck(arm.goto, `${f}.goto`);
      try {
        if (arm.condition) parseCondition(arm.condition);
        if (arm.dtmf && !/^[0-9*#A-Da-d]+$/.test(arm.dtmf)) compileDtmfPattern(arm.dtmf);
      } catch (err) {
        const key = arm.condition ? 'condition' : 'dtmf';
        issues.push({
          field: `${f}.${key}`,
          value: arm[key],
          expected: (err as CallwrightError).issues?.[0]?.expected ?? (err as Error).message,
        });
      }
    });
  }
  return issues;
}

/**
 * Validates a scripted agent's config (`{ steps: [...] }`) and returns it typed. Every problem names
 * its field (`config.steps.2.gather.timeout_ms`), the value and what is accepted.
 */
export function parseScript(config: unknown, prefix = 'config'): Script {
  const c = (config ?? {}) as Record<string, unknown>;
  const issues: FieldIssue[] = [];
  if (!Array.isArray(c.steps) || c.steps.length === 0) {
    issues.push({ field: `${prefix}.steps`, value: c.steps, expected: 'a non-empty list of steps' });
  } else {
    const ids = new Set<string>();
    c.steps.forEach((s, i) => {
      const id = (s as { id?: unknown } | null)?.id;
      if (typeof id !== 'string') return;
      if (ids.has(id))
        issues.push({
          field: `${prefix}.steps.${i}.id`,
          value: id,
          expected: 'an id not used by another step',
        });
      ids.add(id);
    });
    c.steps.forEach((s, i) => issues.push(...stepIssues(s, `${prefix}.steps.${i}`, ids)));
  }
  for (const key of Object.keys(c)) {
    if (!['steps', 'voice', 'language'].includes(key))
      issues.push({
        field: `${prefix}.${key}`,
        value: c[key],
        expected: 'no such field (steps, voice, language)',
      });
  }
  if (issues.length) {
    throw validationError(issues);
  }
  return c as unknown as Script;
}
