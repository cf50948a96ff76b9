import { parseJsonBody } from '../http/http-status.js';
import {
  SmsProviderError,
  providerRefusal,
  type MessageChannel,
  type OutboundMessage,
  type ProviderReceipt,
  type SmsProvider,
} from './sms-provider.js';
import type { HttpClient } from '../http/http-client.js';

export interface TwilioSettings {
  account_sid: string;
  auth_token: string;
  from: string;
  whatsapp_from: string;
  base_url: string;
}

/** WhatsApp numbers travel as `whatsapp:+E164` in Twilio's To/From fields. */
function address(channel: MessageChannel, number: string): string {
  return channel === 'whatsapp' && !number.startsWith('whatsapp:') ? `whatsapp:${number}` : number;
}

/**
 * Twilio's Messages resource (and compatible providers): POST
 * `/2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded To/From/Body, HTTP basic auth
 * with the account SID and auth token; 201 returns JSON with `sid` and `status`, errors return
 * JSON with `code`, `message` and `status`.
 */
export class TwilioProvider implements SmsProvider {
  readonly name = 'twilio';

  constructor(
    private readonly settings: TwilioSettings,
    private readonly http: HttpClient,
  ) {}

  get configured(): boolean {
    return Boolean(this.settings.account_sid && this.settings.auth_token);
  }

  defaultFrom(channel: MessageChannel): string {
    return channel === 'whatsapp' ? this.settings.whatsapp_from : this.settings.from;
  }

  async send(message: OutboundMessage): Promise<ProviderReceipt> {
    if (!this.configured) {
      throw new SmsProviderError(
        'twilio',
        'NOT_CONFIGURED',
        'set sms.twilio.account_sid and sms.twilio.auth_token',
        false,
      );
    }
    const { account_sid: sid, auth_token: token } = this.settings;
    const url = `${this.settings.base_url.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(sid)}/Messages.json`;
    const form = new URLSearchParams({
      To: address(message.channel, message.to),
      From: address(message.channel, message.from),
      Body: message.body,
    });
    const res = await this.http.request({
      method: 'POST',
      url,
      headers: {
        authorization: `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
      signal: message.signal,
    });
    const json = (parseJsonBody(res.body) ?? {}) as Record<string, unknown>;
    if (res.status >= 200 && res.status < 300 && typeof json.sid === 'string') {
      return { providerId: json.sid, status: typeof json.status === 'string' ? json.status : 'queued' };
    }
    throw providerRefusal('twilio', res, json);
  }
}
