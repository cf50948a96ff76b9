import { Type, type Static } from '@sinclair/typebox';
import { AgentFallback, checkFallback } from '../agent-fallback.js';
import { check, validationError } from '../../util/validate.js';
import { TemplateRenderer } from '../../templates/template-renderer.js';
import { BUILTIN_TOOLS } from '../tools/agent-tools.js';

const Strict = { additionalProperties: false } as const;
const Line = Type.String({ minLength: 1, maxLength: 1000 });

const Filler = Type.Object(
  {
    start: Type.Optional(Line),
    slow: Type.Optional(Line),
    slow_after_ms: Type.Optional(Type.Integer({ minimum: 500, maximum: 60000 })),
    failed: Type.Optional(Line),
  },
  Strict,
);

/** The `config` of an agent of kind `llm`. */
export const LlmAgentConfig = Type.Object(
  {
    base_url: Type.Optional(
      Type.String({
        format: 'uri',
        description: 'OpenAI-compatible API base URL (…/v1); default: the server `llm.base_url`',
      }),
    ),
    api_key_env: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$',
        description:
          'Name of the environment variable holding the API key (keys are not stored in the database); default: the server `llm.api_key`',
      }),
    ),
    azure_api_version: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Azure OpenAI: the api-version query; the key goes in `api-key`',
      }),
    ),
    model: Type.Optional(Type.String({ minLength: 1, description: 'Default: the server `llm.model`' })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2, description: 'Default 0.4' })),
    max_tokens: Type.Optional(
      Type.Integer({ minimum: 16, maximum: 8000, description: 'Per reply; default 400' }),
    ),
    request_timeout_ms: Type.Optional(
      Type.Integer({
        minimum: 500,
        maximum: 120000,
        description: 'Longest wait for the first token, or between two; default 10000',
      }),
    ),
    system_prompt: Type.String({
      minLength: 1,
      maxLength: 20000,
      description: 'Instructions (template over call, contact, data, collected, actions)',
    }),
    first_message: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        description: 'Said as soon as the call is answered (template); absent: the model greets',
      }),
    ),
    builtins: Type.Optional(
      Type.Array(Type.Union(BUILTIN_TOOLS.map((b) => Type.Literal(b))), {
        uniqueItems: true,
        description: `Built-in tools the model may call; default all: ${BUILTIN_TOOLS.join(', ')}`,
      }),
    ),
    tools: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[a-zA-Z0-9_-]{1,64}$' }),
        Type.Object(
          {
            filler: Type.Optional(Type.Union([Filler, Type.Literal(false)])),
            background: Type.Optional(
              Type.Boolean({
                description: 'Runs while the conversation goes on; its result is spoken when it arrives',
              }),
            ),
          },
          Strict,
        ),
        { description: 'Per attached tool (by tool name): filler lines, background' },
      ),
    ),
    fillers: Type.Optional(
      Type.Object(
        {
          start: Type.Optional(Type.Array(Line, { minItems: 1, maxItems: 20 })),
          slow: Type.Optional(Type.Array(Line, { minItems: 1, maxItems: 20 })),
          failed: Type.Optional(Type.Array(Line, { minItems: 1, maxItems: 20 })),
          slow_after_ms: Type.Optional(Type.Integer({ minimum: 500, maximum: 60000 })),
          enabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
        },
        Strict,
      ),
    ),
    idle: Type.Optional(
      Type.Object(
        {
          after_ms: Type.Optional(
            Type.Integer({
              minimum: 1000,
              maximum: 600000,
              description: 'Caller silence before a reprompt; default 8000',
            }),
          ),
          max_reprompts: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: 'Default 2' })),
          reprompt: Type.Optional(Line),
          goodbye: Type.Optional(Line),
          disposition: Type.Optional(
            Type.String({ minLength: 1, maxLength: 64, description: 'Default no-response' }),
          ),
          enabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
        },
        Strict,
      ),
    ),
    max_call_s: Type.Optional(Type.Integer({ minimum: 10, maximum: 86400, description: 'Default 1800' })),
    max_tool_calls_per_turn: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 50, description: 'Default 5' }),
    ),
    max_history_messages: Type.Optional(
      Type.Integer({
        minimum: 4,
        maximum: 1000,
        description: 'Messages kept besides the system prompt; default 60',
      }),
    ),
    fallback: Type.Optional(AgentFallback),
  },
  Strict,
);
export type LlmAgentConfig = Static<typeof LlmAgentConfig>;

const templates = new TemplateRenderer();

/** Validates an `llm` agent's config; throws naming the field, the value and what is accepted. */
export function parseLlmAgentConfig(config: unknown, prefix = 'config'): LlmAgentConfig {
  const value = structuredClone(config ?? {});
  const issues = check(LlmAgentConfig, value, prefix);
  if (issues.length) throw validationError(issues);
  const c = value as LlmAgentConfig;
  // A template that does not parse is refused on save, not found on the first call.
  for (const field of ['system_prompt', 'first_message'] as const) {
    const text = c[field];
    if (text?.includes('{')) templates.parse(text, `${prefix}.${field}`);
  }
  checkFallback(c.fallback, prefix);
  return c;
}
