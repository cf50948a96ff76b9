import { CallwrightError } from '../errors.js';
import { maskNumber } from '../logging/logger.js';
import type { DialOutcome, HangupEvent } from '../telephony/port.js';

const TRUNK_EXAMPLE = 'e.g. sip.trunks: [{ name: carrier, host: 203.0.113.10, port: 5060 }]';

/**
 * Refuses, before anything is dialled, a call out that the backend could only fail: a `trunk` that is
 * not in `sip.trunks` (both backends refuse it, for a SIP URI too), or an E.164 number when
 * `sip.trunks` is empty (a number has no host of its own; only a trunk can carry it). A SIP URI
 * target with no trunk named is dialled straight to its host, so it needs none.
 */
export function assertOutboundRoute(
  target: { kind: 'e164'; number: string } | { kind: 'sip'; uri: string },
  trunk: string | undefined,
  trunkNames: readonly string[],
): void {
  if (trunk !== undefined && !trunkNames.includes(trunk)) {
    const accepted = trunkNames.length
      ? `one of the configured trunks (sip.trunks): ${trunkNames.join(', ')}`
      : `a configured trunk, and sip.trunks is empty: add one (${TRUNK_EXAMPLE})`;
    throw new CallwrightError(
      'VALIDATION',
      `trunk: got ${JSON.stringify(trunk)}, expected ${accepted}; nothing was dialled`,
      [{ field: 'trunk', value: trunk, expected: accepted }],
    );
  }
  if (target.kind === 'e164' && trunkNames.length === 0) {
    const expected = `a SIP trunk in sip.trunks (${TRUNK_EXAMPLE}), or a SIP URI target (sip:user@host)`;
    throw new CallwrightError(
      'PRECONDITION',
      `to: ${maskNumber(target.number)} is an E.164 number and needs a SIP trunk, but sip.trunks is empty; ` +
        `add one to the config (${TRUNK_EXAMPLE}) or call a SIP URI (sip:user@host); nothing was dialled`,
      [{ field: 'sip.trunks', value: [], expected }],
    );
  }
}

/**
 * Who ended a call out that was never answered, as its `hangup` event and the row's `hangup_by` say.
 * The callee ended it when it answered with a final failure (busy 486/600, a rejection, or 408/480
 * "no answer" from its side; RFC 3261 §21.4). We ended it when our ring timer fired (our CANCEL
 * draws the 487, §9.1), when we aborted, when no response came at all (Timer B, §17.1.1.2), or
 * when the dial failed on our side (no route, unusable answer).
 */
export function unansweredBy(outcome: Exclude<DialOutcome, { outcome: 'answered' }>): HangupEvent['by'] {
  switch (outcome.outcome) {
    case 'busy':
    case 'rejected':
      return 'remote';
    case 'no-answer':
      return outcome.status !== undefined && outcome.status !== 487 ? 'remote' : 'local';
    default:
      return 'local';
  }
}
