import { Type, type Static } from '@sinclair/typebox';

/** An agent's whole-call recording setting (docs/recording.md). `{}` = its calls are not recorded. */
export const AgentRecording = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'Record every call of this agent (both channels)' })),
    consent_prompt: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        description:
          'Said to the caller first (a template: {{ call.from }}, {{ data.* }}); recording starts once it has played',
      }),
    ),
  },
  { additionalProperties: false },
);
export type AgentRecordingSettings = Static<typeof AgentRecording>;
