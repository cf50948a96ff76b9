import { ActionError } from '../../errors.js';

export type OutboundHttpErrorCode =
  /** The address policy refused the host (private range not allowed). */
  | 'HTTP_BLOCKED'
  /** The URL is not http(s) or cannot be parsed. */
  | 'HTTP_BAD_URL'
  | 'HTTP_TIMEOUT'
  | 'HTTP_TOO_LARGE'
  /** A redirect was refused (another host, too many). */
  | 'HTTP_REDIRECT'
  /** DNS, connect or socket failure. */
  | 'HTTP_NETWORK';

/** A failure of the outbound HTTP client; an ActionError so actions can rethrow it as is. */
export class OutboundHttpError extends ActionError {
  constructor(code: OutboundHttpErrorCode, message: string, retryable: boolean) {
    super(code, message, retryable);
    this.name = 'OutboundHttpError';
  }
}
