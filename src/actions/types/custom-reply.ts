import { Type } from '@sinclair/typebox';
import { defineActionType } from '../action-type.js';

/** Returns a text for the agent to say; the engine collects it in the stage result's `say` list. */
export const customReply = defineActionType({
  name: 'custom-reply',
  title: 'Custom reply',
  description: 'Gives the agent a fixed (templated) reply to say to the caller.',
  configSchema: Type.Object(
    { text: Type.String({ minLength: 1, maxLength: 4000, description: 'Template of what to say' }) },
    { additionalProperties: false },
  ),
  stages: ['during'],
  async exec(ctx) {
    return { say: ctx.config.text };
  },
  simulate: (ctx) => ({ say: ctx.config.text }),
});
