import { CallwrightError } from '../../errors.js';

/** One step of an IVR sequence: digits to send, or a pause. */
export type DtmfStep = { digits: string } | { waitMs: number };

/** `w` waits 500 ms and `W` waits 1 s, the usual dial-string convention (as in FreeSWITCH send_dtmf). */
export const WAIT_MS = { w: 500, W: 1000 } as const;

/**
 * Parses `1w2ww#` into digit runs and pauses; spaces, dashes and dots are ignored as readability
 * separators. Refuses anything else, naming the field and the offending character.
 */
export function parseDtmfSequence(sequence: string, field = 'sequence'): DtmfStep[] {
  const steps: DtmfStep[] = [];
  for (const ch of sequence) {
    if (ch === ' ' || ch === '-' || ch === '.') continue;
    const last = steps[steps.length - 1];
    if (ch === 'w' || ch === 'W') {
      const ms = WAIT_MS[ch];
      if (last && 'waitMs' in last) last.waitMs += ms;
      else steps.push({ waitMs: ms });
      continue;
    }
    if (!/^[0-9*#A-Da-d]$/.test(ch)) {
      throw new CallwrightError(
        'VALIDATION',
        `${field}: got ${JSON.stringify(sequence)}, the character ${JSON.stringify(ch)} is not allowed`,
        [{ field, value: sequence, expected: 'digits 0-9, *, #, A-D, and w (500 ms) or W (1 s) pauses' }],
      );
    }
    const digit = ch.toUpperCase();
    if (last && 'digits' in last) last.digits += digit;
    else steps.push({ digits: digit });
  }
  if (!steps.some((s) => 'digits' in s)) {
    throw new CallwrightError(
      'VALIDATION',
      `${field}: got ${JSON.stringify(sequence)}, expected at least one digit`,
      [{ field, value: sequence, expected: 'digits 0-9, *, #, A-D, and w (500 ms) or W (1 s) pauses' }],
    );
  }
  return steps;
}
