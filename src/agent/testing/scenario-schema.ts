import { Type, type Static } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import { Criterion, rubricIssues } from '../../actions/types/evaluate-call-rubric.js';
import { CallwrightError } from '../../errors.js';
import { assertValid, validationError } from '../../util/validate.js';

const Obj = Type.Record(Type.String(), Type.Unknown());
const Strict = { additionalProperties: false } as const;

/** The simulated call's own fields, as `callwright simulate` scripts give them. */
const ScenarioCall = Type.Object(
  {
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    direction: Type.Optional(Type.Union([Type.Literal('inbound'), Type.Literal('outbound')])),
    data: Type.Optional(Obj),
    contact: Type.Optional(Obj),
  },
  Strict,
);

export const Scenario = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    persona: Type.String({
      minLength: 1,
      maxLength: 4000,
      description: 'Who the caller is and how they talk',
    }),
    goal: Type.String({ minLength: 1, maxLength: 4000, description: 'What the caller wants' }),
    expected: Type.String({
      minLength: 1,
      maxLength: 1000,
      description: 'The outcome that counts as a pass (the rubric criterion `expected_outcome`)',
    }),
    criteria: Type.Optional(Type.Array(Criterion, { maxItems: 49 })),
    max_turns: Type.Integer({ minimum: 1, maximum: 100, default: 12, description: 'Caller turns at most' }),
    runs: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    call: Type.Optional(ScenarioCall),
  },
  Strict,
);
export type Scenario = Static<typeof Scenario>;

export const ScenarioFile = Type.Object(
  {
    scenarios: Type.Array(Scenario, { minItems: 1, maxItems: 200 }),
    runs: Type.Integer({ minimum: 1, maximum: 100, default: 1, description: 'Runs of each scenario' }),
    threshold: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 1,
      description: 'Pass rate (passed runs over all runs) the test needs',
    }),
    caller: Type.Object(
      {
        model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
      },
      { ...Strict, default: {} },
    ),
  },
  Strict,
);
export type ScenarioFile = Static<typeof ScenarioFile>;

/** The criterion a scenario's `expected` becomes in the rubric. */
export const EXPECTED_CRITERION = 'expected_outcome';

/**
 * Parses and validates a scenario file (YAML or JSON); errors name the file, the field, the value and
 * what is accepted. Criterion names must be unique within a scenario, `expected_outcome` included.
 */
export function parseScenarioFile(text: string, file = 'scenarios'): ScenarioFile {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new CallwrightError('VALIDATION', `${file}: ${(err as Error).message}`, [
      { field: file, expected: 'valid YAML' },
    ]);
  }
  const parsed = assertValid(ScenarioFile, doc ?? {}, file);
  const names = new Set<string>();
  parsed.scenarios.forEach((s, i) => {
    if (names.has(s.name)) {
      throw validationError([
        { field: `${file}.scenarios.${i}.name`, value: s.name, expected: 'a name no other scenario uses' },
      ]);
    }
    names.add(s.name);
    const rubric = [
      { name: EXPECTED_CRITERION, description: s.expected, weight: 1, speaker: 'agent' as const },
      ...(s.criteria ?? []),
    ];
    const issues = rubricIssues(rubric).map((issue) => ({
      ...issue,
      // rubricIssues counts the implicit expected_outcome criterion as item 0.
      field: issue.field.replace(
        /^config\.criteria\.(\d+)/,
        (_, n: string) => `${file}.scenarios.${i}.criteria.${Number(n) - 1}`,
      ),
      expected: `a name not used by another criterion (${EXPECTED_CRITERION} is the scenario's expected)`,
    }));
    if (issues.length) throw validationError(issues);
  });
  return parsed;
}
