import { Type } from '@sinclair/typebox';
import { defineActionType } from '../action-type.js';
import { requireContact, scriptedTags } from './contact-helpers.js';

export const TagList = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
  minItems: 1,
  maxItems: 50,
});

export const addContactTags = defineActionType({
  name: 'add-contact-tags',
  title: 'Add contact tags',
  description: "Adds tags to the caller's contact record.",
  configSchema: Type.Object({ tags: TagList }, { additionalProperties: false }),
  stages: ['before', 'during', 'after'],
  needs: ['contact'],
  async exec(ctx) {
    const contact = await requireContact(ctx);
    await ctx.services.contacts.addTags(contact.id, ctx.config.tags);
    return { added: ctx.config.tags, tags: (await ctx.services.contacts.view(contact)).tags };
  },
  // As exec reports them: the contact's tags with these added, sorted by name.
  simulate: (ctx) => ({
    added: ctx.config.tags,
    tags: [...new Set([...scriptedTags(ctx), ...ctx.config.tags])].sort(),
  }),
});
