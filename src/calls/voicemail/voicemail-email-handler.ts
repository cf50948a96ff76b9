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
export class VoicemailEmailHandler implements DeliveryHandler<'voicemail-email'> {
  readonly kind = VOICEMAIL_EMAIL_KIND;

  constructor(private readonly deps: { mailer: Mailer; voicemails: VoicemailRepository }) {}

  /** The payload arrives decoded: a stored one missing a field failed its row already, naming the field. */
  async deliver(job: DeliveryJob<'voicemail-email'>): Promise<DeliveryOutcome> {
    const p = job.payload;
    const id = p.voicemail_id;
    if (!(await this.deps.voicemails.get(id)))
      throw new PermanentDeliveryError(`voicemail ${id} no longer exists`);
    if (!this.deps.mailer.enabled)
      throw new PermanentDeliveryError('email is not configured (mail.from, mail.smtp.host)');
    const sent = await this.deps.mailer.send({
      to: p.to,
      subject: p.subject,
      text: p.text,
      headers: { 'X-Callwright-Voicemail': id, 'X-Idempotency-Key': job.idempotencyKey },
    });
    await this.deps.voicemails.update(id, { notified_at: nowIso() });
    return { result: { messageId: sent.messageId, accepted: sent.accepted.length } };
  }
}
