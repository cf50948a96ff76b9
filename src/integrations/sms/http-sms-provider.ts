import { parseJsonBody } from '../http/http-status.js';
import { selectJsonPath } from '../http/json-path.js';
import {
  SmsProviderError,
  providerRefusal,
  type MessageChannel,
  type OutboundMessage,
  type ProviderReceipt,
  type SmsProvider,
} from './sms-provider.js';
import type { HttpClient } from '../http/http-client.js';

export interface HttpSmsSettings {
  url: string;
  token: string;
  from: string;
  id_path: string;
  status_path: string;
}

/**
 * Any SMS gateway with a JSON API: POST `{to, from, body, channel}` with an optional bearer token;
 * the message id and status are read from the response by JSONPath (config `sms.http.*_path`).
 */
export class HttpSmsProvider implements SmsProvider {
  readonly name = 'http';

  constructor(
    private readonly settings: HttpSmsSettings,
    private readonly http: HttpClient,
  ) {}

  defaultFrom(_channel: MessageChannel): string {
    return this.settings.from;
  }

  async send(message: OutboundMessage): Promise<ProviderReceipt> {
    if (!this.settings.url) throw new SmsProviderError('http', 'NOT_CONFIGURED', 'set sms.http.url', false);
    const res = await this.http.request({
      method: 'POST',
      url: this.settings.url,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(this.settings.token ? { authorization: `Bearer ${this.settings.token}` } : {}),
      },
      body: JSON.stringify({
        to: message.to,
        from: message.from,
        body: message.body,
        channel: message.channel,
      }),
      signal: message.signal,
    });
    const json = parseJsonBody(res.body);
    if (res.status >= 200 && res.status < 300) {
      const id = selectJsonPath(this.settings.id_path, json);
      const status = selectJsonPath(this.settings.status_path, json);
      return {
        providerId: id === undefined ? '' : String(id),
        status: status === undefined ? 'accepted' : String(status),
      };
    }
    throw providerRefusal('http', res, (json ?? {}) as Record<string, unknown>);
  }
}
