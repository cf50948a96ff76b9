import { LlmError, parseJsonObject, type ChatClient } from '../../integrations/llm/chat-client.js';
import type { GreetingVerdict, GreetingVerdictKind } from './greeting-verdict.js';

const VERDICTS: readonly GreetingVerdictKind[] = ['human', 'machine', 'screening'];

const SYSTEM = [
  'You classify who answered an outbound phone call, from a transcript of the first words heard after',
  'the answer (a speech recogniser wrote it: expect misheard words).',
  '"human": a person answered their phone ("Hello?", "Yes, this is Sam speaking").',
  '"machine": a recorded greeting, voicemail or carrier message ("Hi, you\'ve reached Sam",',
  '"The person you are calling is not available").',
  '"screening": an automated call-screening assistant asking who is calling or why, before it rings',
  'the person.',
  'Reply with only a JSON object: {"verdict": "human"} or {"verdict": "machine"} or {"verdict": "screening"}.',
].join(' ');

/**
 * The llm classifier: one chat completion (JSON reply) on an OpenAI-compatible server. The reply is
 * read strictly: a JSON object whose `verdict` is one of the three, nothing else; any other reply is
 * an `LLM_BAD_RESPONSE` error (the caller keeps the heuristic decision).
 */
export async function classifyByLlm(
  client: ChatClient,
  transcript: string,
  signal?: AbortSignal,
): Promise<GreetingVerdict> {
  const reply = await client.complete({
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: `Transcript: ${JSON.stringify(transcript)}` },
    ],
    json: true,
    maxTokens: 20,
    ...(signal ? { signal } : {}),
  });
  const parsed = parseJsonObject(reply.content);
  const verdict = parsed?.verdict;
  const keys = parsed ? Object.keys(parsed) : [];
  if (!parsed || keys.length !== 1 || !VERDICTS.includes(verdict as GreetingVerdictKind)) {
    throw new LlmError(
      'LLM_BAD_RESPONSE',
      `the greeting classifier's reply ${JSON.stringify(reply.content.slice(0, 200))} is not {"verdict": "human" | "machine" | "screening"}`,
      false,
    );
  }
  return { verdict: verdict as GreetingVerdictKind, model: reply.model || client.model };
}
