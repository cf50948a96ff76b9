import type { ContactRecord } from '../../store/store.js';
import { type ActionContext } from '../action-type.js';
import { ActionError } from '../../errors.js';

/** The call's contact record; the engine checks the `contact` precondition before exec. */
export async function requireContact(ctx: ActionContext<unknown>): Promise<ContactRecord> {
  const contact = ctx.contactId ? await ctx.services.store.contacts.get(ctx.contactId) : undefined;
  if (!contact) throw new ActionError('PRECONDITION', 'no contact is linked to this call', false);
  return contact;
}

/** A disposition from config, else from the tool arguments; refused when not in `allowed`. */
export function chooseDisposition(ctx: ActionContext<{ disposition?: string; allowed?: string[] }>): string {
  const chosen = ctx.config.disposition || String(ctx.args.disposition ?? '');
  if (!chosen) throw new ActionError('VALIDATION', 'no disposition given (config or argument)', false);
  const allowed = ctx.config.allowed;
  if (allowed?.length && !allowed.includes(chosen)) {
    throw new ActionError(
      'VALIDATION',
      `disposition ${JSON.stringify(chosen)} is not one of ${allowed.join(', ')}`,
      false,
    );
  }
  return chosen;
}

/** Dry runs: the tags of the contact the simulation script describes (there is no record to read). */
export function scriptedTags(ctx: ActionContext<unknown>): string[] {
  const tags = (ctx.variables.contact as { tags?: unknown } | undefined)?.tags;
  return Array.isArray(tags) ? tags.map(String) : [];
}
