import { Type, type Static } from '@sinclair/typebox';
import type { FieldIssue } from '../../errors.js';
import type { TranscriptLine } from '../../integrations/llm/call-transcript.js';

/** The rubric evaluate-call scores a call against, and the scoring rules. */

export const Criterion = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' }),
    description: Type.String({ minLength: 1, maxLength: 1000, description: 'What a good call does' }),
    weight: Type.Number({ default: 1, minimum: 0, maximum: 100 }),
    keywords: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        maxItems: 50,
        description: 'Fallback without LLM: passed when one of these is said',
      }),
    ),
    speaker: Type.Unsafe<'agent' | 'caller' | 'any'>({
      type: 'string',
      enum: ['agent', 'caller', 'any'],
      default: 'agent',
      description: 'Whose lines the keywords are looked for in',
    }),
  },
  { additionalProperties: false },
);
export type CriterionSpec = Static<typeof Criterion>;

export interface CriterionResult {
  name: string;
  passed: boolean;
  weight: number;
  reason: string;
}

export interface Evaluation {
  score: number;
  passed: boolean;
  pass_score: number;
  criteria: CriterionResult[];
  /** Criteria that could not be judged (no LLM and no keywords); they do not count. */
  unjudged: string[];
  reasons: string[];
  source: 'llm' | 'keywords';
  model: string;
  evaluated_at: string;
}

export function rubricIssues(criteria: readonly CriterionSpec[]): FieldIssue[] {
  const seen = new Set<string>();
  const issues: FieldIssue[] = [];
  criteria.forEach((c, i) => {
    if (seen.has(c.name)) {
      issues.push({
        field: `config.criteria.${i}.name`,
        value: c.name,
        expected: 'a name not used by another criterion',
      });
    }
    seen.add(c.name);
  });
  return issues;
}

/** Score 0-100 = passed weight over judged weight; pass when the score reaches `passScore`. */
export function scoreOf(
  results: readonly CriterionResult[],
  passScore: number,
): { score: number; passed: boolean } {
  const total = results.reduce((s, r) => s + r.weight, 0);
  const got = results.filter((r) => r.passed).reduce((s, r) => s + r.weight, 0);
  const score = total > 0 ? Math.round((got / total) * 1000) / 10 : 0;
  return { score, passed: total > 0 && score >= passScore };
}

export function toolParameters(criteria: readonly CriterionSpec[]): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      criteria: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            name: { type: 'string', enum: criteria.map((c) => c.name) },
            passed: { type: 'boolean' },
            reason: { type: 'string', description: 'One sentence citing the transcript' },
          },
          required: ['name', 'passed', 'reason'],
          additionalProperties: false,
        },
      },
    },
    required: ['criteria'],
    additionalProperties: false,
  };
}

/** Checks the model's verdicts: each criterion exactly once, `passed` a boolean. Returns issues or results. */
export function verdictsOf(
  criteria: readonly CriterionSpec[],
  answer: Record<string, unknown>,
): { results: CriterionResult[] } | { problems: string[] } {
  const list = Array.isArray(answer.criteria) ? (answer.criteria as unknown[]) : undefined;
  if (!list) return { problems: ['criteria: missing, expected an array of {name, passed, reason}'] };
  const byName = new Map<string, Record<string, unknown>>();
  const problems: string[] = [];
  for (const item of list) {
    const v = item as Record<string, unknown>;
    if (typeof v?.name !== 'string' || !criteria.some((c) => c.name === v.name)) {
      problems.push(`criteria: unknown criterion ${JSON.stringify(v?.name)}`);
    } else if (typeof v.passed !== 'boolean') {
      problems.push(`criteria.${v.name}.passed: got ${JSON.stringify(v.passed)}, expected true or false`);
    } else byName.set(v.name, v);
  }
  for (const c of criteria)
    if (!byName.has(c.name) && !problems.some((p) => p.includes(`.${c.name}.`)))
      problems.push(`criteria.${c.name}: missing`);
  if (problems.length) return { problems };
  return {
    results: criteria.map((c) => {
      const v = byName.get(c.name)!;
      return {
        name: c.name,
        passed: v.passed as boolean,
        weight: c.weight,
        reason: String(v.reason ?? '').trim(),
      };
    }),
  };
}

/** Without an LLM: a criterion passes when its speaker said one of its keywords. */
export function judgeByKeywords(
  criteria: readonly CriterionSpec[],
  lines: readonly TranscriptLine[],
): { results: CriterionResult[]; unjudged: string[] } {
  const results: CriterionResult[] = [];
  const unjudged: string[] = [];
  for (const c of criteria) {
    if (!c.keywords?.length) {
      unjudged.push(c.name);
      continue;
    }
    const said = lines
      .filter((l) => c.speaker === 'any' || l.speaker === c.speaker)
      .map((l) => l.text.toLowerCase());
    const hit = c.keywords.find((k) => said.some((t) => t.includes(k.toLowerCase())));
    results.push({
      name: c.name,
      passed: hit !== undefined,
      weight: c.weight,
      reason: hit
        ? `the ${c.speaker === 'any' ? 'call' : c.speaker} said "${hit}"`
        : `none of ${c.keywords.map((k) => `"${k}"`).join(', ')} was said`,
    });
  }
  return { results, unjudged };
}
