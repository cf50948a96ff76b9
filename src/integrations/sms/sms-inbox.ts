import type { Store } from '../../store/store.js';
import { MessageRepository, type MessageRecord } from './message-repository.js';
import type { MessageChannel } from './sms-provider.js';

export interface InboundMessage {
  provider: string;
  channel: MessageChannel;
  from: string;
  to: string;
  body: string;
  providerId?: string;
}

export type OptChange = 'opt-out' | 'opt-in';

export interface InboundResult {
  message: MessageRecord;
  optChange?: OptChange;
  /** The live call with this number, when one exists. */
  callId?: string;
}

/** The reply as later actions and the agent see it (`sms_reply.*` in the call's variables). */
export interface SmsReplyVariables {
  body: string;
  from: string;
  channel: MessageChannel;
  message_id: string;
  at: string;
}

/**
 * Opt-out and opt-in keywords, as carriers and Twilio's Advanced Opt-Out honour them
 * (CTIA Messaging Principles and Best Practices §5.1.2).
 */
const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE']);
const START_WORDS = new Set(['START', 'UNSTOP', 'YES', 'OPTIN']);

export function optChangeOf(body: string): OptChange | undefined {
  const word = body
    .trim()
    .toUpperCase()
    .replace(/[.!]+$/, '');
  if (STOP_WORDS.has(word)) return 'opt-out';
  if (START_WORDS.has(word)) return 'opt-in';
  return undefined;
}

/**
 * Receives replies: stores each one, applies STOP/START to the contact (creating one for an unknown
 * number so the opt-out is remembered), and when a call with that number is live, writes the reply
 * to the call's transcript and exposes it as the call variable `sms_reply`.
 */
export class SmsInbox {
  readonly messages: MessageRepository;
  private readonly listeners = new Set<(callId: string, reply: SmsReplyVariables) => void>();

  constructor(private readonly store: Store) {
    this.messages = new MessageRepository(store.sql);
  }

  /** The call layer subscribes to feed replies to a live session; returns the unsubscribe. */
  onReply(listener: (callId: string, reply: SmsReplyVariables) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async receive(input: InboundMessage): Promise<InboundResult> {
    const optChange = optChangeOf(input.body);
    const result = await this.store.transaction(async (): Promise<InboundResult> => {
      const contactId = await this.applyOpt(input.from, optChange);
      const callId = await this.liveCall(input.from);
      const message = await this.messages.create({
        call_id: callId ?? null,
        contact_id: contactId ?? null,
        direction: 'inbound',
        channel: input.channel,
        from_number: input.from,
        to_number: input.to,
        body: input.body,
        provider: input.provider,
        provider_id: input.providerId ?? null,
        status: 'received',
      });
      if (callId) await this.attachToCall(callId, message);
      return { message, ...(optChange ? { optChange } : {}), ...(callId ? { callId } : {}) };
    });
    if (result.callId) {
      const reply = replyVariables(result.message);
      for (const l of this.listeners) l(result.callId, reply);
    }
    return result;
  }

  private async applyOpt(phone: string, change: OptChange | undefined): Promise<string | undefined> {
    const contact = await this.store.contacts.findBy('phone', phone);
    if (!change) return contact?.id;
    const sms_opt_out = change === 'opt-out';
    if (contact) return (await this.store.contacts.update(contact.id, { sms_opt_out })).id;
    return sms_opt_out ? (await this.store.contacts.create({ phone, sms_opt_out })).id : undefined;
  }

  private async liveCall(phone: string): Promise<string | undefined> {
    const row = await this.store.sql.get<{ id: string }>(
      `SELECT id FROM calls WHERE ended_at IS NULL AND state != 'ended'
       AND ((direction = 'inbound' AND from_number = ?) OR (direction = 'outbound' AND to_number = ?))
       ORDER BY started_at DESC LIMIT 1`,
      [phone, phone],
    );
    return row?.id;
  }

  private async attachToCall(callId: string, message: MessageRecord): Promise<void> {
    await this.store.callEvents.append(callId, 'transcript', {
      speaker: 'caller',
      channel: message.channel,
      text: message.body,
      message_id: message.id,
    });
    const call = await this.store.calls.require(callId);
    await this.store.calls.update(callId, {
      variables: { ...call.variables, sms_reply: replyVariables(message) },
    });
  }
}

function replyVariables(m: MessageRecord): SmsReplyVariables {
  return { body: m.body, from: m.from_number, channel: m.channel, message_id: m.id, at: m.created_at };
}
