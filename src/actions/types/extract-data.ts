import { Type } from '@sinclair/typebox';
import { defineActionType, type ActionContext } from '../action-type.js';
import type { ChatClient } from '../../integrations/llm/chat-client.js';
import type { TranscriptLine } from '../../integrations/llm/call-transcript.js';
import { isTimeZone, localParts } from '../../util/zoned-time.js';
import {
  ExtractField,
  checkAll,
  fieldIssues,
  toolParameters,
  type ExtractFieldSpec,
} from './extract-data-fields.js';
import { extractByRules } from './extract-data-rules.js';
import { askToolAboutTranscript, transcriptOf } from './transcript-llm.js';
import { ActionError } from '../../errors.js';

const TOOL = 'record_fields';
const RESERVED = new Set(['fields', 'invalid', 'missing', 'source', 'model']);

/**
 * Typed fields from the transcript: by the LLM (a forced tool call whose parameters are the fields),
 * or by each field's regex/keywords when no LLM is configured. Every value is checked against its
 * type; valid ones go to `calls.collected`, `collected.*` and the outputs, wrong ones are reported.
 */
export const extractData = defineActionType({
  name: 'extract-data',
  title: 'Extract data',
  description: 'Collects typed fields (text, number, boolean, enum, date) from what the caller said.',
  configSchema: Type.Object(
    {
      fields: Type.Array(ExtractField, { minItems: 1, maxItems: 50 }),
      transcript: Type.String({
        default: '',
        maxLength: 100000,
        description: "Template of the text to read ('Caller:'/'Agent:' lines); empty = the call's transcript",
      }),
      use_llm: Type.Boolean({ default: true, description: 'Use the configured LLM; false = rules only' }),
      instructions: Type.String({ default: '', maxLength: 4000, description: 'Extra guidance for the LLM' }),
      fail_on_invalid: Type.Boolean({
        default: false,
        description:
          'Fail the run (for the failure policy to retry) when a value is wrong or a required one missing',
      }),
    },
    { additionalProperties: false },
  ),
  stages: ['during', 'after'],
  validate: (config) => [
    ...fieldIssues(config.fields),
    ...config.fields
      .map((f, i) => ({ f, i }))
      .filter(({ f }) => RESERVED.has(f.name))
      .map(({ f, i }) => ({
        field: `config.fields.${i}.name`,
        value: f.name,
        expected: `a name other than ${[...RESERVED].join(', ')}`,
      })),
  ],
  async exec(ctx) {
    const lines = await transcriptOf(ctx);
    const client = ctx.config.use_llm ? ctx.services.llm : undefined;
    const proposed = client
      ? await byLlm(client, ctx.config.fields, lines, ctx.config.instructions, ctx.signal)
      : extractByRules(ctx.config.fields, lines, callerToday(ctx));
    const { values, invalid, missing } = checkAll(ctx.config.fields, proposed);
    await storeCollected(ctx, values);
    const source = client ? 'llm' : 'rules';
    if (ctx.config.fail_on_invalid && (invalid.length || missing.length)) {
      const what = [
        ...invalid.map((i) => `${i.field}: got ${JSON.stringify(i.value)}, expected ${i.expected}`),
        ...missing.map((m) => `${m}: missing (required)`),
      ].join('; ');
      throw new ActionError('EXTRACTION_INVALID', what, source === 'llm', { invalid, missing });
    }
    return { ...values, fields: values, invalid, missing, source, model: client?.model ?? '' };
  },
  simulate: (ctx) => ({
    fields: {},
    invalid: [],
    missing: ctx.config.fields.filter((f) => f.required).map((f) => f.name),
    source: 'simulated',
  }),
});

function callerToday(ctx: ActionContext<unknown>) {
  const contact = ctx.variables.contact as { timezone?: unknown } | undefined;
  const zone =
    typeof contact?.timezone === 'string' && isTimeZone(contact.timezone) ? contact.timezone : 'UTC';
  return localParts(ctx.services.clock.now(), zone);
}

async function byLlm(
  client: ChatClient,
  fields: readonly ExtractFieldSpec[],
  lines: readonly TranscriptLine[],
  instructions: string,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  const system = [
    'You extract data from a phone call transcript. Call the tool exactly once.',
    'Use only what the caller stated; give null for anything not stated. Dates as YYYY-MM-DD.',
    instructions,
  ]
    .filter(Boolean)
    .join('\n');
  const tool = {
    name: TOOL,
    description: 'Records the fields found in the call',
    parameters: toolParameters(fields),
  };
  return askToolAboutTranscript(client, system, lines, tool, signal);
}

/**
 * Valid values are merged into the call row and into the session's `collected` scope (the object the
 * engine passes as `variables.collected` is the session's own), so later actions see `collected.<name>`.
 */
async function storeCollected(ctx: ActionContext<unknown>, values: Record<string, unknown>): Promise<void> {
  if (!Object.keys(values).length) return;
  const collected = ctx.variables.collected;
  if (collected && typeof collected === 'object' && !Array.isArray(collected))
    Object.assign(collected, values);
  const callId = ctx.callId;
  if (!callId) return;
  const { store } = ctx.services;
  await store.transaction(async () => {
    const call = await store.calls.get(callId);
    if (call) await store.calls.update(call.id, { collected: { ...call.collected, ...values } });
  });
}
