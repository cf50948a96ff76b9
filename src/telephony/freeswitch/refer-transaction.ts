import type { ReferOptions, ReferOutcome } from '../port.js';
import type { SrfDialog, SrfRequest, SrfResponse } from './drachtio-types.js';
import { sipfragStatus } from './sip-messages.js';
import { withTimeout } from './timeouts.js';

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
 * carries a message/sipfrag (RFC 3420) with the status of the transferred call; the first final one
 * decides the outcome (RFC 3515 §2.4.5). No final NOTIFY within `notifyTimeoutMs` is a timeout.
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
    const frag = sipfragStatus(req.body);
    if (frag) {
      lastStatus = frag.status;
      ctx.progress(frag.status);
      if (frag.status >= 300)
        settle({ outcome: 'failed', stage: 'notify', status: frag.status, reason: frag.reason });
      else if (frag.status >= 200) settle({ outcome: 'completed', status: frag.status });
    }
    if (/terminated/i.test(req.get('Subscription-State') ?? '') && !frag) {
      // Subscription ended without a final sipfrag: nothing more will come (RFC 6665 §4.1.3).
      settle({ outcome: 'timeout', stage: 'notify', ...(lastStatus ? { lastStatus } : {}) });
    }
  };
  dialog.on('notify', onNotify);
  try {
    const headers: Record<string, string> = {
      ...(ctx.options.headers ?? {}),
      'Refer-To': `<${ctx.referTo}>`,
      'Referred-By': `<${ctx.referredBy}>`,
    };
    let res: SrfResponse;
    try {
      res = await withTimeout(dialog.request({ method: 'REFER', headers }), ctx.referTimeoutMs, 'REFER');
    } catch (err) {
      if (/timed out/.test((err as Error).message)) return { outcome: 'timeout', stage: 'refer' };
      throw err;
    }
    const status = Number(res.status ?? 0);
    if (status === 408) return { outcome: 'timeout', stage: 'refer' };
    if (status < 200 || status >= 300) {
      return res.reason
        ? { outcome: 'failed', stage: 'refer', status, reason: res.reason }
        : { outcome: 'failed', stage: 'refer', status };
    }
    const notifyTimeoutMs = ctx.options.notifyTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<ReferOutcome>((resolve) => {
      timer = setTimeout(
        () => resolve({ outcome: 'timeout', stage: 'notify', ...(lastStatus ? { lastStatus } : {}) }),
        notifyTimeoutMs,
      );
    });
    const legEnded = ctx.ended.then((): ReferOutcome => ({
      outcome: 'timeout',
      stage: 'notify',
      ...(lastStatus ? { lastStatus } : {}),
    }));
    try {
      return await Promise.race([decided, timedOut, legEnded]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    dialog.off('notify', onNotify);
  }
}
