import type { HangupCause } from '../port.js';

/**
 * The Reason header (RFC 3326 §2) a BYE of ours carries, so the far end (and its CDRs) can tell why
 * the call ended. Only causes worth telling get one: a server shutting down (drain window over, or
 * stopped at once) says 503 Service Unavailable with Q.850 cause 41 (temporary failure) in the text.
 */
export function hangupReasonHeader(cause: HangupCause): string | undefined {
  if (cause === 'shutdown') return 'SIP ;cause=503 ;text="Server shutting down"';
  return undefined;
}
