import { Type, type Static } from '@sinclair/typebox';

const Enum = <const V extends readonly string[]>(values: V, options: { description?: string } = {}) =>
  Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });

/**
 * How an agent hears and speaks (docs/speech.md). Every field is optional: absent ones take the
 * server's `speech` settings.
 */
export const AgentSpeech = Type.Object(
  {
    recognizer: Type.Optional(Enum(['pocketsphinx', 'deepgram', 'openai', 'none'])),
    language: Type.Optional(Type.String({ minLength: 2, maxLength: 35, description: 'BCP 47 tag' })),
    hints: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        maxItems: 200,
        description: 'Phrases to listen for, beside the intent phrases of the agent and its actions',
      }),
    ),
    synthesizer: Type.Optional(Enum(['espeak', 'openai', 'elevenlabs'])),
    end_of_turn_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 10000 })),
    min_speech_ms: Type.Optional(Type.Integer({ minimum: 40, maximum: 5000 })),
    max_utterance_ms: Type.Optional(Type.Integer({ minimum: 1000, maximum: 120000 })),
    barge_in: Type.Optional(Type.Boolean()),
    barge_in_min_speech_ms: Type.Optional(Type.Integer({ minimum: 40, maximum: 2000 })),
    on_failure: Type.Optional(
      Type.Object(
        {
          say: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
          then: Type.Optional(Enum(['dtmf', 'transfer', 'hangup'])),
          target: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type AgentSpeechSettings = Static<typeof AgentSpeech>;

/**
 * Rules the schema cannot state: a fallback transfer needs its target; a language tag must look like
 * one. Field names start with `prefix` (`agent.speech`, `body.speech`).
 */
export function agentSpeechIssues(
  speech: AgentSpeechSettings | undefined,
  prefix: string,
): Array<{ field: string; value?: unknown; expected: string }> {
  if (!speech) return [];
  const issues: Array<{ field: string; value?: unknown; expected: string }> = [];
  if (speech.on_failure?.then === 'transfer' && !speech.on_failure.target)
    issues.push({
      field: `${prefix}.on_failure.target`,
      expected:
        'a transfer target (a named target of the agent, an E.164 number or a SIP URI) when then is transfer',
    });
  if (speech.language !== undefined && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(speech.language))
    issues.push({
      field: `${prefix}.language`,
      value: speech.language,
      expected: 'a BCP 47 tag such as en-US',
    });
  return issues;
}
