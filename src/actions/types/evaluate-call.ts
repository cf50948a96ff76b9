import { Type } from '@sinclair/typebox';
import { defineActionType } from '../action-type.js';
import type { ChatClient } from '../../integrations/llm/chat-client.js';
import type { TranscriptLine } from '../../integrations/llm/call-transcript.js';
import { askToolAboutTranscript, transcriptOf } from './transcript-llm.js';
import {
  Criterion,
  judgeByKeywords,
  rubricIssues,
  scoreOf,
  toolParameters,
  verdictsOf,
  type CriterionResult,
  type CriterionSpec,
  type Evaluation,
} from './evaluate-call-rubric.js';
import { ActionError } from '../../errors.js';

const TOOL = 'record_evaluation';

/**
 * Scores a finished call against a rubric: per criterion pass/fail with a reason, a weighted score and
 * an overall pass. The LLM judges each criterion; without one, criteria with keywords are checked
 * against the transcript. Stored on `calls.evaluation`; a malformed verdict is a failure, never stored.
 */
export const evaluateCall = defineActionType({
  name: 'evaluate-call',
  title: 'Evaluate call',
  description: 'Scores the call against a rubric (pass/fail per criterion, weighted score, reasons).',
  configSchema: Type.Object(
    {
      criteria: Type.Array(Criterion, { minItems: 1, maxItems: 50 }),
      pass_score: Type.Number({
        default: 70,
        minimum: 0,
        maximum: 100,
        description: 'Score (0-100) needed to pass',
      }),
      transcript: Type.String({
        default: '',
        maxLength: 100000,
        description: "Template of the text; empty = the call's transcript",
      }),
      use_llm: Type.Boolean({ default: true }),
      instructions: Type.String({ default: '', maxLength: 4000 }),
    },
    { additionalProperties: false },
  ),
  stages: ['after'],
  validate: (config) => rubricIssues(config.criteria),
  async exec(ctx) {
    const lines = await transcriptOf(ctx);
    const client = ctx.config.use_llm ? ctx.services.llm : undefined;
    const judged = client
      ? {
          results: await byLlm(client, ctx.config.criteria, lines, ctx.config.instructions, ctx.signal),
          unjudged: [],
        }
      : judgeByKeywords(ctx.config.criteria, lines);
    const { score, passed } = scoreOf(judged.results, ctx.config.pass_score);
    const evaluation: Evaluation = {
      score,
      passed,
      pass_score: ctx.config.pass_score,
      criteria: judged.results,
      unjudged: judged.unjudged,
      reasons: judged.results.map(
        (r) => `${r.name}: ${r.passed ? 'passed' : 'failed'}${r.reason ? ` (${r.reason})` : ''}`,
      ),
      source: client ? 'llm' : 'keywords',
      model: client?.model ?? '',
      evaluated_at: new Date(ctx.services.clock.now()).toISOString(),
    };
    if (ctx.callId && (await ctx.services.store.calls.get(ctx.callId))) {
      await ctx.services.store.calls.update(ctx.callId, { evaluation: { ...evaluation } });
    }
    return { ...evaluation };
  },
  simulate: (ctx) => ({
    score: 0,
    passed: false,
    pass_score: ctx.config.pass_score,
    criteria: [],
    reasons: [],
  }),
});

async function byLlm(
  client: ChatClient,
  criteria: readonly CriterionSpec[],
  lines: readonly TranscriptLine[],
  instructions: string,
  signal: AbortSignal,
): Promise<CriterionResult[]> {
  const rubric = criteria.map((c) => `- ${c.name}: ${c.description}`).join('\n');
  const system = [
    'You review a phone call transcript against a rubric. Call the tool exactly once with a verdict',
    'for every criterion: passed true or false and a one-sentence reason citing the transcript.',
    `Rubric:\n${rubric}`,
    instructions,
  ]
    .filter(Boolean)
    .join('\n');
  const tool = {
    name: TOOL,
    description: 'Records the verdict per criterion',
    parameters: toolParameters(criteria),
  };
  const answer = await askToolAboutTranscript(client, system, lines, tool, signal);
  const verdicts = verdictsOf(criteria, answer);
  if ('problems' in verdicts) {
    // A model may answer better on a retry; the failure policy decides.
    throw new ActionError(
      'EVALUATION_INVALID',
      `the LLM's verdict is malformed: ${verdicts.problems.join('; ')}`,
      true,
    );
  }
  return verdicts.results;
}
