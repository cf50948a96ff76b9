import { Type } from '@sinclair/typebox';
import { defineActionType } from '../action-type.js';
import { requireContact, scriptedTags } from './contact-helpers.js';
import { TagList } from './add-contact-tags.js';

export const removeContactTags = defineActionType({
  name: 'remove-contact-tags',
  title: 'Remove contact tags',
  description: "Removes tags from the caller's contact record.",
  configSchema: Type.Object({ tags: TagList }, { additionalProperties: false }),
  stages: ['before', 'during', 'after'],
  needs: ['contact'],
  async exec(ctx) {
    const contact = await requireContact(ctx);
    const removed = await ctx.services.contacts.removeTags(contact.id, ctx.config.tags);
    return { removed, tags: (await ctx.services.contacts.view(contact)).tags };
  },
  // As exec reports them: how many of the contact's tags went, and the tags left.
  simulate: (ctx) => {
    const tags = scriptedTags(ctx);
    const left = tags.filter((t) => !ctx.config.tags.includes(t));
    return { removed: tags.length - left.length, tags: left.sort() };
  },
});
