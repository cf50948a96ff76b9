import { setTimeout as sleep } from 'node:timers/promises';
import type { CallLeg, DtmfMethod } from '../../telephony/port.js';
import { parseDtmfSequence } from './dtmf-sequence.js';

/** Resolves after `ms`, or earlier when the signal aborts (the loop then reports why it stopped). */
function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return sleep(ms, undefined, signal ? { signal } : {}).catch(() => undefined);
}

export interface IvrReport {
  /** The sequence as given. */
  sequence: string;
  /** Every digit sent, in order (pauses left out). */
  sent: string;
  method: DtmfMethod;
  /** Each digit run with when it started, ms after navigation began. */
  steps: Array<{ digits: string; atMs: number }>;
  durationMs: number;
  /** completed, or why it stopped early. */
  status: 'completed' | 'hangup' | 'cancelled';
}

/**
 * Sends an IVR sequence: digit runs with the given method (RFC 4733 events or SIP INFO,
 * RFC 6086 with application/dtmf-relay) and the pauses between them, after an initial wait for the
 * far-end menu to start. Stops when the leg ends or the signal aborts, reporting what was sent.
 */
export async function navigateIvr(
  leg: CallLeg,
  sequence: string,
  options: { method: DtmfMethod; toneMs?: number; initialDelayMs?: number; signal?: AbortSignal },
): Promise<IvrReport> {
  const steps = parseDtmfSequence(sequence);
  const started = Date.now();
  const report: IvrReport = {
    sequence,
    sent: '',
    method: options.method,
    steps: [],
    durationMs: 0,
    status: 'completed',
  };
  const stopped = (): IvrReport['status'] | undefined =>
    !leg.active ? 'hangup' : options.signal?.aborted ? 'cancelled' : undefined;
  if (options.initialDelayMs) await delay(options.initialDelayMs, options.signal);
  for (const step of steps) {
    const why = stopped();
    if (why) {
      report.status = why;
      break;
    }
    if ('waitMs' in step) {
      await delay(step.waitMs, options.signal);
      continue;
    }
    report.steps.push({ digits: step.digits, atMs: Date.now() - started });
    await leg.sendDtmf(step.digits, {
      method: options.method,
      ...(options.toneMs ? { durationMs: options.toneMs } : {}),
    });
    report.sent += step.digits;
  }
  report.status = stopped() ?? report.status;
  report.durationMs = Date.now() - started;
  return report;
}
