import { Type } from '@sinclair/typebox';
import { defineActionType } from '../action-type.js';
import { requireContact } from './contact-helpers.js';
import { ActionError } from '../../errors.js';

export const addToList = defineActionType({
  name: 'add-to-list',
  title: 'Add to list',
  description: "Adds the caller's contact to a named list (a campaign, a callback queue, …).",
  configSchema: Type.Object(
    {
      list: Type.String({ minLength: 1, maxLength: 100, description: 'List name (template)' }),
      create_if_missing: Type.Boolean({ default: true }),
    },
    { additionalProperties: false },
  ),
  stages: ['before', 'during', 'after'],
  needs: ['contact'],
  async exec(ctx) {
    const contact = await requireContact(ctx);
    if (!(await ctx.services.contacts.addToList(contact.id, ctx.config.list, ctx.config.create_if_missing))) {
      throw new ActionError('NOT_FOUND', `list ${JSON.stringify(ctx.config.list)} does not exist`, false);
    }
    return { list: ctx.config.list };
  },
  simulate: (ctx) => ({ list: ctx.config.list }),
});
