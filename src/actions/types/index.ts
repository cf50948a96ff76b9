import { ActionRegistry } from '../registry.js';
import { addContactTags } from './add-contact-tags.js';
import { addToList } from './add-to-list.js';
import { callDisposition } from './call-disposition.js';
import { contactDisposition } from './contact-disposition.js';
import { customReply } from './custom-reply.js';
import { removeContactTags } from './remove-contact-tags.js';
import { setDnc } from './set-dnc.js';
import { updateContactProperty } from './update-contact-property.js';

/** The local types built with the engine. Later issues add theirs with `registry.register(...)`. */
export const LOCAL_ACTION_TYPES = [
  updateContactProperty,
  addContactTags,
  removeContactTags,
  addToList,
  contactDisposition,
  callDisposition,
  setDnc,
  customReply,
];

export function createActionRegistry(): ActionRegistry {
  const registry = new ActionRegistry();
  for (const t of LOCAL_ACTION_TYPES) registry.register(t);
  return registry;
}
