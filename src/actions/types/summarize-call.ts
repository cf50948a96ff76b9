import { Type } from '@sinclair/typebox';
import { defineActionType } from '../action-type.js';
import { summarizerOf } from '../../integrations/llm/llm-services.js';
import { llmFailure, transcriptOf } from './transcript-llm.js';

/**
 * Summarises the call into `calls.summary` with the shared `summarizer` service (the same one warm
 * transfers, voicemail emails and CRM logs use): the LLM when configured, else the caller's own words.
 */
export const summarizeCall = defineActionType({
  name: 'summarize-call',
  title: 'Summarize call',
  description: 'Writes a short summary of the call to the call record.',
  configSchema: Type.Object(
    {
      max_words: Type.Integer({ default: 80, minimum: 5, maximum: 1000 }),
      purpose: Type.Unsafe<'call' | 'whisper' | 'voicemail' | 'crm'>({
        type: 'string',
        enum: ['call', 'whisper', 'voicemail', 'crm'],
        default: 'call',
        description: 'Shapes the summary: call record, spoken whisper, voicemail email, CRM note',
      }),
      transcript: Type.String({
        default: '',
        maxLength: 100000,
        description: "Template of the text; empty = the call's transcript",
      }),
      instructions: Type.String({ default: '', maxLength: 4000 }),
      store: Type.Boolean({ default: true, description: 'Write the summary to calls.summary' }),
    },
    { additionalProperties: false },
  ),
  stages: ['during', 'after'],
  async exec(ctx) {
    const lines = await transcriptOf(ctx);
    let summary;
    try {
      summary = await summarizerOf(ctx.services).summarize({
        transcript: lines,
        purpose: ctx.config.purpose,
        maxWords: ctx.config.max_words,
        instructions: ctx.config.instructions,
        signal: ctx.signal,
      });
    } catch (err) {
      throw llmFailure(err);
    }
    if (ctx.config.store && ctx.callId && (await ctx.services.store.calls.get(ctx.callId))) {
      await ctx.services.store.calls.update(ctx.callId, { summary: summary.text });
    }
    return {
      summary: summary.text,
      source: summary.source,
      words: summary.text.split(/\s+/).filter(Boolean).length,
    };
  },
  simulate: () => ({ summary: '(summary of the call)', source: 'simulated', words: 4 }),
});
