import type { Store } from '../../store/store.js';
import { CallwrightError, ActionError } from '../../errors.js';
import { parsePhoneNumber, phoneExpected } from '../../util/phone-number.js';
import { MessageRepository, type MessageRecord } from './message-repository.js';
import type { MessageChannel, SmsProvider } from './sms-provider.js';
import { assertCallable } from '../../contacts/dnc-guard.js';

export interface SendRequest {
  channel: MessageChannel;
  to: string;
  body: string;
  /** Provider name; the configured default when absent. */
  provider?: string;
  /** Sender; the provider's default for the channel when absent. */
  from?: string;
  callId?: string;
  contactId?: string;
  signal?: AbortSignal;
}

export interface SendResult {
  message: MessageRecord;
  /** True when an earlier attempt already sent this exact message (nothing sent now). */
  duplicate: boolean;
}

/**
 * Sends SMS and WhatsApp messages: the DNC and STOP check first, then one row in `messages` per
 * message (refused, failed or sent, with the provider's id and status).
 */
export class SmsService {
  readonly messages: MessageRepository;
  private readonly providers: Map<string, SmsProvider>;

  constructor(
    private readonly store: Store,
    providers: readonly SmsProvider[],
    private readonly defaultProvider: string,
  ) {
    this.messages = new MessageRepository(store.sql);
    this.providers = new Map(providers.map((p) => [p.name, p]));
  }

  provider(name = this.defaultProvider): SmsProvider {
    const p = this.providers.get(name);
    if (!p) {
      throw new ActionError(
        'SMS_PROVIDER',
        `no SMS provider ${JSON.stringify(name)} (configured: ${[...this.providers.keys()].join(', ') || 'none'})`,
        false,
      );
    }
    return p;
  }

  async send(req: SendRequest): Promise<SendResult> {
    const provider = this.provider(req.provider);
    // A recipient as the call saw it (`+1 415 …`, `0044 …`) is sent and recorded in E.164, so DNC,
    // STOP and contact lookups below match the number the contact is stored under.
    const parsed = parsePhoneNumber(req.to);
    const to = parsed.ok ? parsed.e164 : req.to.trim();
    if (!parsed.ok) {
      throw new ActionError(
        'VALIDATION',
        `to: got ${JSON.stringify(to.replace(/\d(?=\d{4})/g, '•'))}, expected a valid phone number in E.164 form (${phoneExpected()})`,
        false,
      );
    }
    const from = (req.from ?? '').trim() || provider.defaultFrom(req.channel);
    if (!from) {
      throw new ActionError(
        'SMS_PROVIDER',
        `no sender number: set "from" on the action or sms.${provider.name}.${req.channel === 'whatsapp' ? 'whatsapp_from' : 'from'}`,
        false,
      );
    }
    const contactId = req.contactId ?? (await this.store.contacts.findBy('phone', to))?.id ?? null;
    const base = {
      call_id: req.callId ?? null,
      contact_id: contactId,
      direction: 'outbound' as const,
      channel: req.channel,
      from_number: from,
      to_number: to,
      body: req.body,
      provider: provider.name,
    };
    try {
      await assertCallable(this.store, to, req.channel);
    } catch (err) {
      if (!(err instanceof CallwrightError)) throw err;
      await this.messages.create({ ...base, status: 'refused', error: err.message });
      throw new ActionError('DNC', err.message, false);
    }
    if (req.callId) {
      const earlier = await this.messages.findSent(req.callId, to, req.channel, req.body);
      if (earlier) return { message: earlier, duplicate: true };
    }
    const row = await this.messages.create({ ...base, status: 'sending' });
    try {
      const receipt = await provider.send({
        channel: req.channel,
        to,
        from,
        body: req.body,
        signal: req.signal,
      });
      const message = await this.messages.update(row.id, {
        provider_id: receipt.providerId || null,
        status: receipt.status,
      });
      return { message, duplicate: false };
    } catch (err) {
      await this.messages.update(row.id, { status: 'failed', error: (err as Error).message });
      throw err;
    }
  }
}
