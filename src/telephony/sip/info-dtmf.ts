/**
 * DTMF carried in SIP INFO (RFC 6086 leaves the body format to the package; these are the two that
 * trunks, PBXes and sipp send).
 *
 * Read: `application/dtmf-relay` (`Signal=5\r\nDuration=160`; `Signal=10` / `Signal=11` for `*` / `#`
 * and 12-15 for A-D, the RFC 4733 §3.2 event codes some gateways put there) and `application/dtmf`
 * (the body is the digit).
 * Sent: one format only, `application/dtmf-relay` with `Signal=<0-9, *, #, A-D>` and `Duration=<ms>`.
 */

export const INFO_DTMF_CONTENT_TYPE = 'application/dtmf-relay';
/** What an INFO answered 415 is told we accept. */
export const INFO_DTMF_ACCEPT = 'application/dtmf-relay, application/dtmf';

const DIGIT = /^[0-9*#A-Da-d]$/;
const EVENT_CODES: Record<string, string> = {
  '10': '*',
  '11': '#',
  '12': 'A',
  '13': 'B',
  '14': 'C',
  '15': 'D',
};

export interface InfoDtmf {
  digit: string;
  durationMs?: number;
}

function digitOf(signal: string): string | undefined {
  const s = signal.trim();
  if (DIGIT.test(s)) return s.toUpperCase();
  return EVENT_CODES[s];
}

/** The digit an INFO carries, or undefined when its body is not one of the two DTMF formats. */
export function parseInfoDtmf(
  contentType: string | undefined,
  body: string | undefined,
): InfoDtmf | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  const text = body ?? '';
  if (type === 'application/dtmf-relay') {
    const signal = /^\s*signal\s*=\s*(\S+)\s*$/im.exec(text)?.[1];
    const digit = signal === undefined ? undefined : digitOf(signal);
    if (!digit) return undefined;
    const duration = /^\s*duration\s*=\s*(\d+)\s*$/im.exec(text)?.[1];
    return duration ? { digit, durationMs: Number(duration) } : { digit };
  }
  if (type === 'application/dtmf') {
    const digit = text.trim();
    return DIGIT.test(digit) ? { digit: digit.toUpperCase() } : undefined;
  }
  return undefined;
}

/** The body of the INFO we send for one digit (content type `INFO_DTMF_CONTENT_TYPE`). */
export function infoDtmfBody(digit: string, durationMs: number): string {
  const d = digit.toUpperCase();
  if (!DIGIT.test(d)) throw new Error(`digit: got ${JSON.stringify(digit)}, expected one of 0-9, *, #, A-D`);
  return `Signal=${d}\r\nDuration=${Math.round(durationMs)}\r\n`;
}
