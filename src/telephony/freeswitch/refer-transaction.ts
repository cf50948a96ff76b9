import type { ReferOptions, ReferOutcome } from '../port.js';
import { parseSipfrag } from '../sip/sipfrag.js';
import {
  referOutcomeForNotify,
  referOutcomeForResponse,
  referTimedOut,
  type ReferResponse,
} from '../sip/refer-outcome.js';
import type { SrfDialog, SrfRequest, SrfResponse } from './drachtio-types.js';
import { withTimeout } from '../../util/with-timeout.js';

export interface ReferContext {
  dialog: SrfDialog;
  /** Refer-To URI (already resolved from a number through a trunk when needed). */
  referTo: string;
  referredBy: string;
  options: ReferOptions;
  /** How long the REFER itself may wait for a final response (Timer F, RFC 3261 §17.1.2.2: 32 s). */
  referTimeoutMs: number;
  progress(status: number): void;
  /** Resolves when the leg ends; the transfer then stops being watched. */
  ended: Promise<unknown>;
}

/**
 * Sends an in-dialog REFER (RFC 3515) and follows the implicit subscription's NOTIFYs. Each NOTIFY
 * carries a message/sipfrag (RFC 3420) with the status of the transferred call; what the REFER's answer
 * and each NOTIFY mean is the shared rule in src/telephony/sip/refer-outcome.ts. No final NOTIFY within
 * `notifyTimeoutMs` is a timeout.
 */
export async function runRefer(ctx: ReferContext): Promise<ReferOutcome> {
  const { dialog } = ctx;
  let lastStatus: number | undefined;
  let settle!: (o: ReferOutcome) => void;
  const decided = new Promise<ReferOutcome>((resolve) => (settle = resolve));

  // Listen before sending: a fast transferee can NOTIFY before the 202 reaches us.
  const onNotify = (req: SrfRequest, res: SrfResponse): void => {
    res.send(200);
    if (!/^refer\b/i.test(req.get('Event') ?? 'refer')) return;
    const sipfrag = parseSipfrag(req.body);
    if (sipfrag) {
      lastStatus = sipfrag.status;
      ctx.progress(sipfrag.status);
    }
    const terminated = /^\s*terminated/i.test(req.get('Subscription-State') ?? '');
    const outcome = referOutcomeForNotify({ ...(sipfrag ? { sipfrag } : {}), terminated }, lastStatus);
    if (outcome) settle(outcome);
  };
  dialog.on('notify', onNotify);
  try {
    const headers: Record<string, string> = {
      ...(ctx.options.headers ?? {}),
      'Refer-To': `<${ctx.referTo}>`,
      'Referred-By': `<${ctx.referredBy}>`,
    };
    let response: ReferResponse;
    try {
      const res = await withTimeout(
        dialog.request({ method: 'REFER', headers }),
        ctx.referTimeoutMs,
        'REFER',
      );
      response = { status: Number(res.status ?? 0), ...(res.reason ? { reason: String(res.reason) } : {}) };
    } catch (err) {
      if (!/timed out/.test((err as Error).message)) throw err;
      response = 'timeout';
    }
    const answer = referOutcomeForResponse(response);
    if (answer === undefined) {
      const status = response === 'timeout' ? 0 : response.status;
      return { outcome: 'failed', stage: 'refer', status, reason: 'no final response to the REFER' };
    }
    if (answer !== 'accepted') return answer;
    const notifyTimeoutMs = ctx.options.notifyTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<ReferOutcome>((resolve) => {
      timer = setTimeout(() => resolve(referTimedOut(true, lastStatus)), notifyTimeoutMs);
    });
    const legEnded = ctx.ended.then((): ReferOutcome => referTimedOut(true, lastStatus));
    try {
      return await Promise.race([decided, timedOut, legEnded]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    dialog.off('notify', onNotify);
  }
}
