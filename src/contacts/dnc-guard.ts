import type { Store } from '../store/store.js';
import { CallwrightError } from '../errors.js';
import { maskNumber } from '../logging/logger.js';

export type OutreachChannel = 'call' | 'sms' | 'whatsapp';

/**
 * The one check every outbound call and message goes through before anything is dialled or sent:
 * refused when the number's contact is on the Do-Not-Call list, and, for messages, when the contact
 * replied STOP (sms_opt_out). The error says why, and when and by whom the number was blocked. The
 * contact is read from the store at every check, never cached: a mark another server process sharing the
 * database made a moment ago counts.
 */
export async function assertCallable(
  store: Store,
  number: string,
  channel: OutreachChannel = 'call',
): Promise<void> {
  const contact = await store.contacts.findBy('phone', number);
  if (!contact) return;
  if (contact.dnc) {
    throw new CallwrightError(
      'DNC',
      `${maskNumber(number)} is on the Do-Not-Call list` +
        (contact.dnc_at ? ` since ${contact.dnc_at}` : '') +
        (contact.dnc_reason ? ` (${contact.dnc_reason})` : '') +
        `; the ${channel === 'call' ? 'call was not placed' : 'message was not sent'}`,
      [{ field: 'to', value: maskNumber(number), expected: 'a number not on the Do-Not-Call list' }],
    );
  }
  if (channel !== 'call' && contact.sms_opt_out) {
    throw new CallwrightError('DNC', `${maskNumber(number)} opted out of messages (replied STOP)`, [
      { field: 'to', value: maskNumber(number), expected: 'a number that has not opted out of messages' },
    ]);
  }
}
