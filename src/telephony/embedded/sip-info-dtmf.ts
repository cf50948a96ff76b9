/**
 * DTMF carried in SIP INFO: `application/dtmf-relay` (`Signal=5\r\nDuration=160`) and `application/dtmf`
 * (the digit alone), the two forms trunks and sipp send.
 */
export const DTMF_DIGITS = /^[0-9*#A-Da-d]$/;

export function parseInfoDtmf(
  contentType: string | undefined,
  body: string,
): { digit: string; durationMs?: number } | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/dtmf-relay') {
    const signal = /^\s*signal\s*=\s*(\S+)\s*$/im.exec(body)?.[1];
    const duration = /^\s*duration\s*=\s*(\d+)\s*$/im.exec(body)?.[1];
    if (!signal || !DTMF_DIGITS.test(signal)) return undefined;
    return { digit: signal.toUpperCase(), ...(duration ? { durationMs: Number(duration) } : {}) };
  }
  if (type === 'application/dtmf') {
    const digit = body.trim();
    return DTMF_DIGITS.test(digit) ? { digit: digit.toUpperCase() } : undefined;
  }
  return undefined;
}

export function infoDtmfBody(digit: string, durationMs: number): string {
  return `Signal=${digit}\r\nDuration=${durationMs}\r\n`;
}
