import { CallwrightError } from '../../errors.js';

/**
 * What an aborted synthesis rejects with, from every provider and the cache alike: the caller asked
 * for it (barge-in, hang-up), so it is not a provider failure.
 */
export function synthesisCancelled(): CallwrightError {
  return new CallwrightError('UNAVAILABLE', 'speech synthesis was cancelled');
}
