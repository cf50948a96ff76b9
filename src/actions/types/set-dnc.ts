import { Type } from '@sinclair/typebox';
import { defineActionType } from '../action-type.js';
import { parsePhoneNumber } from '../../util/phone-number.js';
import { ActionError } from '../../errors.js';

/** Puts a number on the Do-Not-Call list; `assertCallable` then refuses every later call or message to it. */
export const setDnc = defineActionType({
  name: 'set-dnc',
  title: 'Set Do-Not-Call',
  description: "Puts the caller's number on the Do-Not-Call list so no later call or message reaches it.",
  configSchema: Type.Object(
    {
      number: Type.String({
        default: '{{ call.remote }}',
        maxLength: 200,
        description: 'Template of the number to block; default the other party of the call',
      }),
      reason: Type.String({ default: 'caller asked not to be contacted', maxLength: 500 }),
    },
    { additionalProperties: false },
  ),
  stages: ['before', 'during', 'after'],
  argumentSchema: () =>
    Type.Object(
      { reason: Type.Optional(Type.String({ maxLength: 500, description: "Why, in the caller's words" })) },
      { additionalProperties: false },
    ),
  async exec(ctx) {
    const raw = ctx.config.number.trim();
    if (!/^\+?[0-9A-Za-z@:._-]{3,}$/.test(raw)) {
      throw new ActionError('VALIDATION', 'no number to put on the Do-Not-Call list', false);
    }
    // Outbound targets are E.164 when assertCallable checks them: a caller seen as `0044…` must land on
    // the record a later call to `+44…` looks up. SIP users that are not numbers stay as they are.
    const phone = parsePhoneNumber(raw);
    const number = phone.ok ? phone.e164 : raw;
    const reason = String(ctx.args.reason ?? '') || ctx.config.reason;
    const contact = await ctx.services.contacts.ensureByPhone(number);
    // markDnc stamps the time and records the change in the contact's Do-Not-Call history.
    const marked = await ctx.services.store.contacts.markDnc(contact.id, {
      by: ctx.callId ? `call:${ctx.callId}` : `action:${ctx.definition.name}`,
      reason,
    });
    const at = marked.dnc_at;
    return { dnc: true, contact_id: contact.id, at, reason };
  },
  simulate: (ctx) => ({ dnc: true, reason: ctx.config.reason }),
});
