import { retryableStatus } from '../http/http-status.js';
import { ActionError } from '../../errors.js';

export type MessageChannel = 'sms' | 'whatsapp';

export interface OutboundMessage {
  channel: MessageChannel;
  /** E.164 numbers, without any channel prefix. */
  to: string;
  from: string;
  body: string;
  signal?: AbortSignal;
}

export interface ProviderReceipt {
  /** The provider's message id (Twilio: the SM… sid). */
  providerId: string;
  /** The provider's status word (queued, accepted, sent, …). */
  status: string;
}

/** Sends one message. Implementations: Twilio-compatible REST, generic HTTP. */
export interface SmsProvider {
  readonly name: string;
  /** The default sender for a channel; empty when none is configured. */
  defaultFrom(channel: MessageChannel): string;
  send(message: OutboundMessage): Promise<ProviderReceipt>;
}

/** A provider's refusal or failure, with its own error code and message kept for the dead letter. */
export class SmsProviderError extends ActionError {
  constructor(
    readonly provider: string,
    readonly providerCode: string,
    message: string,
    retryable: boolean,
    readonly httpStatus?: number,
  ) {
    super(
      'SMS_PROVIDER',
      `${provider} refused the message: ${message}${providerCode ? ` (code ${providerCode})` : ''}`,
      retryable,
      {
        provider,
        provider_code: providerCode,
        ...(httpStatus ? { status: httpStatus } : {}),
      },
    );
    this.name = 'SmsProviderError';
  }
}

/**
 * A provider's error answer as an SmsProviderError: the `code` and `message` of its JSON body when it
 * has them, else the HTTP status and the start of the body; retried by status.
 */
export function providerRefusal(
  provider: string,
  res: { status: number; body: string },
  json: Record<string, unknown>,
): SmsProviderError {
  const text =
    typeof json.message === 'string' ? json.message : `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
  return new SmsProviderError(
    provider,
    json.code === undefined ? '' : String(json.code),
    text,
    retryableStatus(res.status),
    res.status,
  );
}
