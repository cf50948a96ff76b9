import { Type } from '@sinclair/typebox';
import { defineActionType } from '../action-type.js';
import { chooseDisposition, requireContact } from './contact-helpers.js';

export const DispositionConfig = Type.Object(
  {
    disposition: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'Fixed code; when absent the agent chooses' }),
    ),
    allowed: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
        maxItems: 50,
        description: 'Codes the agent may choose from',
      }),
    ),
  },
  { additionalProperties: false },
);

export function dispositionArgs(config: { disposition?: string; allowed?: string[] }) {
  if (config.disposition) return undefined;
  const code = config.allowed?.length
    ? Type.Union(
        config.allowed.map((a) => Type.Literal(a)),
        { description: 'Disposition code' },
      )
    : Type.String({ minLength: 1, maxLength: 64, description: 'Disposition code' });
  return Type.Object({ disposition: code }, { additionalProperties: false });
}

export const contactDisposition = defineActionType({
  name: 'contact-disposition',
  title: 'Contact disposition',
  description: 'Records the outcome for the contact (interested, not interested, callback, …).',
  configSchema: DispositionConfig,
  stages: ['during', 'after'],
  needs: ['contact'],
  argumentSchema: dispositionArgs,
  async exec(ctx) {
    const contact = await requireContact(ctx);
    const disposition = chooseDisposition(ctx);
    const { store } = ctx.services;
    await store.transaction(async () => {
      await store.contacts.update(contact.id, { disposition });
      if (ctx.callId && (await store.calls.get(ctx.callId)))
        await store.calls.update(ctx.callId, { contact_disposition: disposition });
    });
    return { disposition };
  },
  simulate: (ctx) => ({ disposition: ctx.config.disposition ?? ctx.args.disposition ?? '' }),
});
