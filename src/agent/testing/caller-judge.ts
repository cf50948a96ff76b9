import {
  judgeByKeywords,
  scoreOf,
  toolParameters,
  verdictsOf,
  type CriterionResult,
  type CriterionSpec,
} from '../../actions/types/evaluate-call-rubric.js';
import { llmFailure } from '../../actions/types/transcript-llm.js';
import { structuredReply, type ChatClient } from '../../integrations/llm/chat-client.js';
import { ActionError, CallwrightError } from '../../errors.js';
import { END_DESCRIPTIONS, type Conversation, type ConversationEntry } from './caller-conversation.js';
import { EXPECTED_CRITERION, type Scenario } from './scenario-schema.js';

const TOOL = 'record_evaluation';

export interface Verdict {
  passed: boolean;
  /** 0-100: passed weight over judged weight. */
  score: number;
  criteria: CriterionResult[];
  /** Criteria that could not be judged (no LLM and no keywords). */
  unjudged: string[];
  /** `name: passed|failed (reason)` per criterion. */
  reasons: string[];
  source: 'llm' | 'keywords';
  model: string;
}

/** A scenario's rubric: its `expected` outcome first, then its own criteria. */
export function scenarioRubric(scenario: Scenario): CriterionSpec[] {
  return [
    { name: EXPECTED_CRITERION, description: scenario.expected, weight: 1, speaker: 'agent' },
    ...(scenario.criteria ?? []),
  ];
}

/** The call as the judge reads it: spoken lines, then bracketed notes of what the agent did. */
export function conversationText(c: Pick<Conversation, 'entries' | 'ended'>): string {
  return [...c.entries.map(entryText), `[call ended: ${END_DESCRIPTIONS[c.ended]}]`].join('\n');
}

function entryText(e: ConversationEntry): string {
  switch (e.kind) {
    case 'line':
      return `${e.speaker === 'agent' ? 'Agent' : 'Caller'}: ${e.text}`;
    case 'action': {
      const r = e.run;
      const by = r.trigger.kind === 'tool' ? 'tool call' : `${r.stage} stage, ${r.trigger.kind}`;
      const args = e.args ? ` with ${JSON.stringify(e.args)}` : '';
      const detail = r.error
        ? `${r.status}: ${r.error.message}`
        : `${r.status}${r.payload ? `, input ${JSON.stringify(r.payload)}` : ''}`;
      return `[action ${r.action} (${by}${args}): ${detail}]`;
    }
    case 'transfer':
      return `[agent transferred the call to ${e.target} (${e.mode})]`;
    case 'voicemail':
      return '[agent sent the caller to voicemail]';
    case 'dtmf':
      return `[agent sent keys ${e.digits}]`;
    case 'error':
      return `[agent error: ${e.message}]`;
  }
}

/**
 * Judges one simulated call against the scenario's rubric with evaluate-call's rules: the LLM gives a
 * verdict per criterion through a forced tool call, checked for every criterion exactly once. A run
 * passes when every criterion passes. Without an LLM only criteria with keywords can be judged; a
 * rubric with others (the `expected` outcome always is one) is refused, naming them.
 */
export async function judgeConversation(
  client: ChatClient | undefined,
  scenario: Scenario,
  conversation: Pick<Conversation, 'entries' | 'ended'>,
  signal?: AbortSignal,
): Promise<Verdict> {
  const rubric = scenarioRubric(scenario);
  if (!client) {
    const lines = conversation.entries.flatMap((e) =>
      e.kind === 'line' ? [{ speaker: e.speaker, text: e.text }] : [],
    );
    const judged = judgeByKeywords(rubric, lines);
    if (judged.unjudged.length) {
      throw new CallwrightError(
        'UNAVAILABLE',
        `no LLM to judge criteria ${judged.unjudged.join(', ')}: set llm.base_url and llm.model (criteria without an LLM need keywords)`,
        [{ field: 'llm.base_url', value: '', expected: 'an OpenAI-compatible API base URL' }],
      );
    }
    return verdict(judged.results, [], 'keywords', '');
  }
  const system = [
    'You review a simulated phone call between a voice agent and a caller against a rubric. The caller',
    `was played from this brief. Who: ${scenario.persona.trim()} Goal: ${scenario.goal.trim()}`,
    'Bracketed lines record what the agent did (actions, transfers); actions ran as dry runs, so their',
    'inputs show what would have been sent. Call the tool exactly once with a verdict for every criterion:',
    'passed true or false and a one-sentence reason citing the transcript.',
    `Rubric:\n${rubric.map((c) => `- ${c.name}: ${c.description}`).join('\n')}`,
  ].join('\n');
  let answer: Record<string, unknown>;
  try {
    const reply = await client.complete({
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: conversationText(conversation) },
      ],
      tools: [
        { name: TOOL, description: 'Records the verdict per criterion', parameters: toolParameters(rubric) },
      ],
      toolChoice: TOOL,
      ...(signal ? { signal } : {}),
    });
    answer = structuredReply(reply, TOOL);
  } catch (err) {
    throw llmFailure(err);
  }
  const verdicts = verdictsOf(rubric, answer);
  if ('problems' in verdicts) {
    throw new ActionError(
      'EVALUATION_INVALID',
      `the judge's verdict is malformed: ${verdicts.problems.join('; ')}`,
      true,
    );
  }
  return verdict(verdicts.results, [], 'llm', client.model);
}

function verdict(
  results: CriterionResult[],
  unjudged: string[],
  source: Verdict['source'],
  model: string,
): Verdict {
  const { score } = scoreOf(results, 100);
  return {
    passed: results.length > 0 && results.every((r) => r.passed),
    score,
    criteria: results,
    unjudged,
    reasons: results.map(
      (r) => `${r.name}: ${r.passed ? 'passed' : 'failed'}${r.reason ? ` (${r.reason})` : ''}`,
    ),
    source,
    model,
  };
}
