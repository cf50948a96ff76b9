import { Type, type Static } from '@sinclair/typebox';
import { CallwrightError } from '../../errors.js';
import { check, validationError } from '../../util/validate.js';
import { BUILTIN_TOOLS } from '../tools/agent-tools.js';

export const RealtimeAgentConfig = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        pattern: '^wss?://',
        description: 'The Realtime endpoint; default wss://api.openai.com/v1/realtime',
      }),
    ),
    model: Type.String({ minLength: 1, maxLength: 200, description: 'Sent as the `model` query parameter' }),
    api_key_env: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
        description:
          'Name of the environment variable that holds the key, read when a call starts (keys are not stored); default OPENAI_API_KEY',
      }),
    ),
    instructions: Type.String({
      minLength: 1,
      maxLength: 20000,
      description: "The model's instructions: a template over the call's variables",
    }),
    first_message: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4000,
        description: 'The model greets first, saying this (a template)',
      }),
    ),
    voice: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    audio_format: Type.Optional(
      Type.Union([Type.Literal('g711_ulaw'), Type.Literal('pcm16')], {
        description: 'g711_ulaw (default: the call is 8 kHz, no resampling) or pcm16 (24 kHz)',
      }),
    ),
    transcription_model: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Transcribes caller speech for the transcript (input_audio_transcription.model)',
      }),
    ),
    turn_detection: Type.Optional(
      Type.Object(
        {
          threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          prefix_padding_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 5000 })),
          silence_duration_ms: Type.Optional(Type.Integer({ minimum: 50, maximum: 10000 })),
        },
        { additionalProperties: false },
      ),
    ),
    builtins: Type.Optional(
      Type.Array(Type.Union(BUILTIN_TOOLS.map((b) => Type.Literal(b))), {
        uniqueItems: true,
        description: `Built-in tools the model may call; default all: ${BUILTIN_TOOLS.join(', ')}`,
      }),
    ),
    temperature: Type.Optional(Type.Number({ minimum: 0.6, maximum: 1.2 })),
    max_call_s: Type.Optional(
      Type.Integer({
        minimum: 10,
        maximum: 86400,
        description: 'The call length limit: a closing line, then hang up; default 1800',
      }),
    ),
    connect_timeout_ms: Type.Optional(
      Type.Integer({ minimum: 100, maximum: 60000, description: 'Default 5000' }),
    ),
    fallback: Type.Optional(
      Type.Object(
        {
          say: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
          then: Type.Optional(Type.Union([Type.Literal('hangup'), Type.Literal('transfer')])),
          target: Type.Optional(Type.String({ minLength: 1, format: 'transfer-target' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type RealtimeAgentConfig = Static<typeof RealtimeAgentConfig>;

export const DEFAULT_REALTIME_URL = 'wss://api.openai.com/v1/realtime';

export const DEFAULT_KEY_VARIABLE = 'OPENAI_API_KEY';

/** Validates a realtime agent's config; errors name the field, the value and what is accepted. */
export function parseRealtimeConfig(config: unknown, prefix = 'config'): RealtimeAgentConfig {
  const value = structuredClone(config ?? {});
  // A key pasted into the config is refused without being repeated in the error.
  const issues = check(RealtimeAgentConfig, value, prefix).map((i) =>
    i.field === `${prefix}.api_key` ? { ...i, value: '[secret]' } : i,
  );
  if (issues.length) throw validationError(issues);
  const c = value as RealtimeAgentConfig;
  if (c.fallback?.then === 'transfer' && !c.fallback.target)
    throw new CallwrightError(
      'VALIDATION',
      `${prefix}.fallback.target: missing, expected a target to transfer to`,
      [{ field: `${prefix}.fallback.target`, expected: 'a named target, E.164 number or SIP URI' }],
    );
  return c;
}

/** The key for a connection, from the environment variable the config names (read now, never stored). */
export function realtimeApiKey(c: RealtimeAgentConfig, env: NodeJS.ProcessEnv = process.env): string {
  const name = c.api_key_env ?? DEFAULT_KEY_VARIABLE;
  const key = env[name];
  if (!key)
    throw new CallwrightError(
      'CONFIG_INVALID',
      `config.api_key_env: environment variable ${name} is not set`,
      [{ field: 'config.api_key_env', value: name, expected: 'the name of a set environment variable' }],
    );
  return key;
}
