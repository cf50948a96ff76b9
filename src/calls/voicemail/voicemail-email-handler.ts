import {
  PermanentDeliveryError,
  type DeliveryHandler,
  type DeliveryJob,
  type DeliveryOutcome,
} from '../../delivery/delivery-handler.js';
import type { Mailer } from '../../integrations/mail/mailer.js';
import { nowIso } from '../../store/ids.js';
import type { VoicemailRepository } from './voicemail-repository.js';

export const VOICEMAIL_EMAIL_KIND = 'voicemail-email';

/** Idempotency key of a voicemail's notification: one mail per voicemail, however often it is queued. */
export function voicemailEmailKey(voicemailId: string): string {
  return `voicemail:${voicemailId}:email`;
}

/**
 * Delivers `voicemail-email` outbox rows (durable: queued rows survive a restart). The payload holds the
 * rendered message; the row is marked notified once the relay accepted it.
 */
export class VoicemailEmailHandler implements DeliveryHandler {
  readonly kind = VOICEMAIL_EMAIL_KIND;

  constructor(private readonly deps: { mailer: Mailer; voicemails: VoicemailRepository }) {}

  async deliver(job: DeliveryJob): Promise<DeliveryOutcome> {
    const p = job.payload;
    const id = String(p.voicemail_id ?? '');
    if (!this.deps.voicemails.get(id)) throw new PermanentDeliveryError(`voicemail ${id} no longer exists`);
    if (!this.deps.mailer.enabled)
      throw new PermanentDeliveryError('email is not configured (mail.from, mail.smtp.host)');
    const to = Array.isArray(p.to) ? p.to.map(String) : [];
    if (!to.length) throw new PermanentDeliveryError('the voicemail email has no recipients');
    const sent = await this.deps.mailer.send({
      to,
      subject: String(p.subject ?? ''),
      text: String(p.text ?? ''),
      headers: { 'X-Callwright-Voicemail': id, 'X-Idempotency-Key': job.idempotencyKey },
    });
    this.deps.voicemails.update(id, { notified_at: nowIso() });
    return { result: { messageId: sent.messageId, accepted: sent.accepted.length } };
  }
}
