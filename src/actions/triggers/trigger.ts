import { Type, type Static } from '@sinclair/typebox';

/** Call events an attachment can fire on. */
export const CALL_EVENT_NAMES = [
  'answered',
  'transfer-failed',
  'voicemail-left',
  'speech-error',
  'ended',
  /** A whole-call recording is stored (after the call; fires after-stage attachments through the outbox). */
  'recording-ready',
] as const;
export type CallEventName = (typeof CALL_EVENT_NAMES)[number];

const Strict = { additionalProperties: false } as const;

export const ToolTrigger = Type.Object(
  { kind: Type.Literal('tool', { description: 'The agent decides: a tool call with validated arguments' }) },
  Strict,
);
export const IntentTrigger = Type.Object(
  {
    kind: Type.Literal('intent'),
    phrases: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
      minItems: 1,
      maxItems: 100,
      description: 'Phrases matched, normalised, against final transcript lines',
    }),
    speaker: Type.Optional(Type.Union([Type.Literal('caller'), Type.Literal('agent'), Type.Literal('any')])),
    match: Type.Optional(
      Type.Union([Type.Literal('contains'), Type.Literal('exact'), Type.Literal('tolerant')], {
        description:
          'contains (default): the phrase appears as whole words in the line; exact: the whole line; tolerant: as contains, with up to one word in four misheard (recognised speech)',
      }),
    ),
  },
  Strict,
);
export const DtmfTrigger = Type.Object(
  {
    kind: Type.Literal('dtmf'),
    digits: Type.Optional(Type.String({ pattern: '^[0-9*#A-Da-d]{1,32}$', description: 'Exact digits' })),
    pattern: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'Digit pattern: X=0-9, Z=1-9, N=2-9, [1-5] a set, . one or more digits, ! zero or more',
      }),
    ),
  },
  Strict,
);
export const ConditionTrigger = Type.Object(
  {
    kind: Type.Literal('condition'),
    expression: Type.String({
      minLength: 1,
      maxLength: 2000,
      description: 'Contact-memory condition, e.g. contact.tags has "vip" and contact.plan == "enterprise"',
    }),
  },
  Strict,
);
export const EventTrigger = Type.Object(
  {
    kind: Type.Literal('event'),
    event: Type.Union(
      CALL_EVENT_NAMES.map((e) => Type.Literal(e)),
      { description: 'answered, transfer-failed, voicemail-left, speech-error, ended or recording-ready' },
    ),
  },
  Strict,
);

/** Outcomes of answering-machine detection an attachment can fire on (docs/amd.md). */
export const AMD_OUTCOMES = ['human', 'machine', 'machine-ready', 'fax', 'silence', 'uncertain'] as const;
/** An answering-machine detection outcome, as triggers see it (the detector's AmdOutcome is the same set). */
export type AmdTriggerOutcome = (typeof AMD_OUTCOMES)[number];
export const AmdTrigger = Type.Object(
  {
    kind: Type.Literal('amd', { description: 'Answering-machine detection decided (calls out with amd on)' }),
    outcome: Type.Optional(
      Type.Union(
        AMD_OUTCOMES.map((o) => Type.Literal(o)),
        { description: 'human, machine, machine-ready, fax, silence or uncertain; absent = every decision' },
      ),
    ),
  },
  Strict,
);

export const TriggerSchema = Type.Union([
  ToolTrigger,
  IntentTrigger,
  DtmfTrigger,
  ConditionTrigger,
  EventTrigger,
  AmdTrigger,
]);
export type Trigger = Static<typeof TriggerSchema>;
export const TriggerListSchema = Type.Array(TriggerSchema, { maxItems: 20 });

/** What the call layer reports to an action session. */
export type CallEvent =
  | { type: CallEventName; detail?: Record<string, unknown> }
  | { type: 'transcript'; text: string; speaker?: 'caller' | 'agent'; final?: boolean }
  | { type: 'dtmf'; digits: string }
  /** `reason`: the rule that decided (docs/amd.md). */
  | { type: 'amd'; outcome: AmdTriggerOutcome; reason: string };

/** Why an action ran, stored with each run. */
export type FiredBy =
  | { kind: 'stage'; stage: string }
  | { kind: 'tool'; name: string }
  | { kind: 'intent'; phrase: string; line: string }
  | { kind: 'dtmf'; digits: string }
  | { kind: 'condition'; expression: string }
  | { kind: 'event'; event: CallEventName }
  | { kind: 'amd'; outcome: AmdTriggerOutcome }
  /** An agent command run inline, with no definition (a webhook agent's command, a script step). */
  | { kind: 'command'; command: 'transfer' | 'voicemail' };
