import { Type } from '@sinclair/typebox';
import { defineActionType } from '../action-type.js';
import { requireContact } from './contact-helpers.js';

export const updateContactProperty = defineActionType({
  name: 'update-contact-property',
  title: 'Update contact property',
  description: "Stores a value in a property of the caller's contact record (contact memory).",
  configSchema: Type.Object(
    {
      property: Type.String({
        pattern: '^[a-z_][a-z0-9_]{0,63}$',
        description: 'Property name (snake_case)',
      }),
      value: Type.Optional(
        Type.String({ maxLength: 4000, description: 'Template; when absent the agent passes `value`' }),
      ),
    },
    { additionalProperties: false },
  ),
  stages: ['before', 'during', 'after'],
  needs: ['contact'],
  argumentSchema: (config) =>
    config.value === undefined
      ? Type.Object(
          { value: Type.String({ maxLength: 4000, description: `New value of ${config.property}` }) },
          { additionalProperties: false },
        )
      : undefined,
  async exec(ctx) {
    const contact = await requireContact(ctx);
    const value = ctx.config.value ?? String(ctx.args.value ?? '');
    await ctx.services.contacts.setProperty(contact, ctx.config.property, value);
    return { property: ctx.config.property, value };
  },
  simulate: (ctx) => ({ property: ctx.config.property, value: ctx.config.value ?? ctx.args.value ?? '' }),
});
