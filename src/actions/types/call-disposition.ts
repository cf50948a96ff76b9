import { defineActionType } from '../action-type.js';
import { chooseDisposition } from './contact-helpers.js';
import { DispositionConfig, dispositionArgs } from './contact-disposition.js';
import { ActionError } from '../../errors.js';

/**
 * Sets the call's disposition while the call is live. Refused once the call has ended or been handed
 * off: by then the disposition belongs to whoever took the call, and calls that end without one get
 * `actions.fallback_disposition` from `endCall`.
 */
export const callDisposition = defineActionType({
  name: 'call-disposition',
  title: 'Call disposition',
  description: 'Records how the call went (resolved, sale, wrong number, …) before it ends or is handed off.',
  configSchema: DispositionConfig,
  stages: ['during'],
  argumentSchema: dispositionArgs,
  async exec(ctx) {
    if (ctx.phase === 'ended' || ctx.phase === 'handed-off') {
      throw new ActionError(
        'PRECONDITION',
        `the call disposition cannot change after the call has ${ctx.phase === 'ended' ? 'ended' : 'been handed off'}`,
        false,
      );
    }
    const disposition = chooseDisposition(ctx);
    const { store } = ctx.services;
    const callId = ctx.callId;
    if (callId) {
      // The check and the write in one transaction: the call's end cannot slip in between.
      await store.transaction(async () => {
        const call = await store.calls.get(callId);
        if (call?.ended_at) throw new ActionError('PRECONDITION', 'the call has already ended', false);
        if (call) await store.calls.update(call.id, { call_disposition: disposition });
      });
    }
    return { disposition };
  },
  simulate: (ctx) => ({ disposition: ctx.config.disposition ?? ctx.args.disposition ?? '' }),
});
