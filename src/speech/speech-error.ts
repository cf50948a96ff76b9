import { CallwrightError } from '../errors.js';

/**
 * Why a speech provider failed: `unauthorized` (the provider refused the key: 401/403, close 1008),
 * `unavailable` (connection refused, 5xx, DNS), `timeout` (no answer in time), `rejected` (the
 * provider refused the request itself: 400/422, bad audio format), `protocol` (a reply we cannot read).
 */
export type SpeechFailure = 'unauthorized' | 'unavailable' | 'timeout' | 'rejected' | 'protocol';

/**
 * A speech provider's failure, with the provider's own words (status and message) so the call event
 * says what went wrong. Never carries the key.
 */
export class SpeechProviderError extends CallwrightError {
  constructor(
    readonly provider: string,
    readonly failure: SpeechFailure,
    detail: string,
    readonly providerStatus?: number,
    options?: { cause?: unknown },
  ) {
    super('UNAVAILABLE', `${provider}: ${failure}: ${detail}`, [], options);
    this.name = 'SpeechProviderError';
  }

  /** The shape a call event stores. */
  describe(): { provider: string; failure: SpeechFailure; status?: number; message: string } {
    return {
      provider: this.provider,
      failure: this.failure,
      ...(this.providerStatus !== undefined ? { status: this.providerStatus } : {}),
      message: this.message,
    };
  }
}

/** The failure an HTTP status means. */
export function failureOfStatus(status: number): SpeechFailure {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500 || status === 429) return 'unavailable';
  return 'rejected';
}
