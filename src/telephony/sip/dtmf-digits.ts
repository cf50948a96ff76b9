/**
 * The digit strings `CallLeg.sendDtmf` takes, read the same way by both backends: `0-9`, `*`, `#`,
 * `A-D` (case-insensitive) and the dial-string pauses `w` (500 ms) and `W` (1 s), as FreeSWITCH and
 * most dialers write them.
 */
import { CallwrightError } from '../../errors.js';

export type DtmfStep = { kind: 'digit'; digit: string } | { kind: 'pause'; ms: number };

export const DTMF_PAUSE_MS = { w: 500, W: 1000 } as const;

const EXPECTED = 'digits 0-9, A-D, * and #, with w (500 ms) and W (1 s) pauses';

/** Splits a digit string into digits and pauses; throws a VALIDATION error naming the first bad character. */
export function parseDtmfDigits(digits: string): DtmfStep[] {
  const steps: DtmfStep[] = [];
  for (const ch of digits) {
    if (ch === 'w' || ch === 'W') steps.push({ kind: 'pause', ms: DTMF_PAUSE_MS[ch] });
    else if (/^[0-9*#A-Da-d]$/.test(ch)) steps.push({ kind: 'digit', digit: ch.toUpperCase() });
    else {
      throw new CallwrightError(
        'VALIDATION',
        `digits: got ${JSON.stringify(digits)}, ${JSON.stringify(ch)} is not allowed; expected ${EXPECTED}`,
        [{ field: 'digits', value: digits, expected: EXPECTED }],
      );
    }
  }
  if (!steps.some((s) => s.kind === 'digit')) {
    throw new CallwrightError(
      'VALIDATION',
      `digits: got ${JSON.stringify(digits)}, expected at least one digit`,
      [{ field: 'digits', value: digits, expected: EXPECTED }],
    );
  }
  return steps;
}

/** The steps written back as a dial string (`1w2W#`), the syntax FreeSWITCH's uuid_send_dtmf reads. */
export function formatDtmfSteps(steps: readonly DtmfStep[]): string {
  return steps.map((s) => (s.kind === 'digit' ? s.digit : s.ms >= DTMF_PAUSE_MS.W ? 'W' : 'w')).join('');
}
