import { Type } from '@sinclair/typebox';
import { defineActionType } from '../action-type.js';
import { ActionError } from '../../errors.js';

/**
 * Disengage: says an optional closing line, waits until it has played, then ends the call. The run
 * finishes before the call's end is written, so it is recorded as succeeded.
 */
export const hangUp = defineActionType({
  name: 'hang-up',
  title: 'Hang up',
  description: 'Ends the call, after an optional closing line has been played to the caller.',
  configSchema: Type.Object(
    {
      closing_line: Type.Optional(
        Type.String({ minLength: 1, maxLength: 2000, description: 'Said before hanging up (template)' }),
      ),
      reason: Type.Optional(Type.String({ maxLength: 200, description: 'Stored as the call end reason' })),
    },
    { additionalProperties: false },
  ),
  stages: ['during'],
  needs: ['live-call'],
  async exec(ctx) {
    const call = ctx.call;
    if (!call) throw new ActionError('PRECONDITION', 'needs a live call', false);
    if (call.state === 'ended') return { hung_up: false, already_ended: true };
    if (ctx.config.closing_line) await call.say(ctx.config.closing_line, { signal: ctx.signal });
    await call.hangup(ctx.config.reason ?? 'hang-up action');
    return { hung_up: true, ...(ctx.config.closing_line ? { closing_line: ctx.config.closing_line } : {}) };
  },
  simulate: (ctx) => ({
    hung_up: true,
    ...(ctx.config.closing_line ? { closing_line: ctx.config.closing_line } : {}),
  }),
});
