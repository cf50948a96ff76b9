import { Type, type Static } from '@sinclair/typebox';

/**
 * Words that only a recording says when it answers. Matched on normalised words (lower case, letters,
 * digits and apostrophes), anywhere in the transcript. Kept to phrases a person answering their own
 * phone does not say: "hello, this is Sam" is a person as often as a greeting, so it is not here.
 */
export const DEFAULT_MACHINE_PHRASES: readonly string[] = [
  "you've reached",
  'you have reached',
  'leave a message',
  'leave your message',
  'leave your name',
  'record your message',
  'after the tone',
  'after the beep',
  'not available',
  'unavailable',
  'the person you are calling',
  "the person you're calling",
  'the number you have dialled',
  'the number you have dialed',
  'is not in service',
  'try again later',
  'voicemail',
  'voice mail',
  'mailbox',
  'missed your call',
  "can't take your call",
  'cannot take your call',
  'get back to you',
  'call you back',
];

/** Call-screening assistants (a phone's own, or a carrier's): they ask who is calling before ringing. */
export const DEFAULT_SCREENING_PHRASES: readonly string[] = [
  'screening service',
  'call screening',
  'call assist',
  'state your name',
  'say your name',
  'reason for calling',
  'why you are calling',
  "why you're calling",
  'record your name',
  'stay on the line',
];

const Phrases = (def: readonly string[], description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
    minItems: 0,
    maxItems: 200,
    default: [...def],
    description,
  });

/** The `classifier` field of the `amd:` section (server, agent and call alike). */
const classifierFields = {
  kind: Type.Unsafe<'off' | 'phrases' | 'llm'>({
    type: 'string',
    enum: ['off', 'phrases', 'llm'],
    default: 'off',
    description:
      'Words of the greeting as a second opinion on a person: off, phrases (machine and screening phrases in the transcript), llm (the llm section classifies the transcript)',
  }),
  recognizer: Type.Unsafe<'pocketsphinx' | 'agent'>({
    type: 'string',
    enum: ['pocketsphinx', 'agent'],
    default: 'pocketsphinx',
    description: "Who transcribes the greeting: the offline pocketsphinx, or the agent's own recogniser",
  }),
  timeout_ms: Type.Integer({
    minimum: 200,
    maximum: 30000,
    default: 4000,
    description:
      'Longest a person decision waits for the transcript (and the LLM); past it the person decision stands',
  }),
  machine_phrases: Phrases(DEFAULT_MACHINE_PHRASES, 'Phrases that make the answer a machine'),
  screening_phrases: Phrases(
    DEFAULT_SCREENING_PHRASES,
    'Phrases that make the answer a call-screening assistant (outcome machine, reason call-screening)',
  ),
  llm_model: Type.String({
    maxLength: 200,
    default: '',
    description: "kind llm: the model asked (empty: the llm section's model)",
  }),
};

export const AmdClassifierConfig = Type.Object(classifierFields, { additionalProperties: false });
export type AmdClassifierConfigValue = Static<typeof AmdClassifierConfig>;
/** An agent's or a call's `amd.classifier`: any field over the server's. */
export const AmdClassifierOverrides = Type.Partial(AmdClassifierConfig, { additionalProperties: false });

export const AMD_CLASSIFIER_DEFAULTS: AmdClassifierConfigValue = {
  kind: 'off',
  recognizer: 'pocketsphinx',
  timeout_ms: 4000,
  machine_phrases: [...DEFAULT_MACHINE_PHRASES],
  screening_phrases: [...DEFAULT_SCREENING_PHRASES],
  llm_model: '',
};

/** The classifier as one call runs it (undefined when off). */
export interface AmdClassifierPlan {
  kind: 'phrases' | 'llm';
  recognizer: 'pocketsphinx' | 'agent';
  timeoutMs: number;
  machinePhrases: readonly string[];
  screeningPhrases: readonly string[];
  /** kind llm: the model (empty: the llm section's). */
  llmModel: string;
}

/** The server's classifier, then the agent's fields over it, then the call's. */
export function planClassifier(
  ...layers: (Partial<AmdClassifierConfigValue> | undefined)[]
): AmdClassifierPlan | undefined {
  const c = Object.assign(
    { ...AMD_CLASSIFIER_DEFAULTS },
    ...layers.filter(Boolean),
  ) as AmdClassifierConfigValue;
  if (c.kind === 'off') return undefined;
  return {
    kind: c.kind,
    recognizer: c.recognizer,
    timeoutMs: c.timeout_ms,
    machinePhrases: c.machine_phrases,
    screeningPhrases: c.screening_phrases,
    llmModel: c.llm_model,
  };
}
