import type { CallLeg, DtmfEvent, MediaSource, Telephony } from '../../telephony/port.js';
import { dialTarget, type MemberAttempt, type TargetFailureReason } from '../targets/dial-target.js';
import type { DispositionHandoff } from './transfer-record.js';
import type { ResolvedTarget } from '../targets/target-resolver.js';
import { abortWhenEnded, hangupTogether } from './leg-links.js';

export type WarmFailureReason =
  | TargetFailureReason
  | 'declined'
  | 'no-confirmation'
  | 'target-hung-up'
  | 'caller-hung-up'
  | 'bridge-failed';

export interface WarmTransferOutcome {
  target: string;
  /** connected = caller and target are bridged and the agent has left; failed = the caller is back with the agent. */
  result: 'connected' | 'failed';
  reason?: WarmFailureReason;
  status?: number;
  member?: string;
  attempts: MemberAttempt[];
  whisper: { played: boolean; text?: string };
  /** Whether the target pressed 1 (only when confirmation was asked). */
  confirmed?: boolean;
}

export interface WarmTransferRequest {
  leg: CallLeg;
  target: ResolvedTarget;
  telephony: Telephony;
  ringTimeoutMs: number;
  callerId?: string;
  holdMusic?: MediaSource;
  /** Spoken to the target only, after it answers. */
  whisper: string;
  voice?: string;
  /** Ask the target to press 1 (accept) or 2 (decline), giving up after `timeoutMs`. */
  confirm?: { prompt: string; timeoutMs: number };
  signal?: AbortSignal;
  handoff?: DispositionHandoff;
}

/** Waits for 1 or 2 from the target, its hang-up, or the timeout. */
function awaitDecision(
  target: CallLeg,
  timeoutMs: number,
): { result: Promise<'accept' | 'decline' | 'timeout' | 'hangup'>; cancel(): void } {
  let finish: (r: 'accept' | 'decline' | 'timeout' | 'hangup') => void = () => undefined;
  const result = new Promise<'accept' | 'decline' | 'timeout' | 'hangup'>((resolve) => (finish = resolve));
  const onDigit = (e: DtmfEvent): void => {
    if (e.digit === '1') done('accept');
    else if (e.digit === '2') done('decline');
  };
  const onHangup = (): void => done('hangup');
  const timer = setTimeout(() => done('timeout'), timeoutMs);
  function done(r: 'accept' | 'decline' | 'timeout' | 'hangup'): void {
    clearTimeout(timer);
    target.off('dtmf', onDigit);
    target.off('hangup', onHangup);
    finish(r);
  }
  target.on('dtmf', onDigit);
  target.on('hangup', onHangup);
  if (!target.active) done('hangup');
  return { result, cancel: () => done('timeout') };
}

/**
 * Warm transfer: the caller is held (hold audio), the target is dialled; when it answers it hears the
 * whisper, which the caller cannot hear (the legs are not bridged yet), and optionally accepts with 1 or
 * declines with 2. Accepted: the caller is taken off hold and bridged to the target, and the agent leaves.
 * Otherwise the target is released and the caller comes off hold, back with the agent, with the reason.
 */
export async function warmTransfer(req: WarmTransferRequest): Promise<WarmTransferOutcome> {
  const { leg } = req;
  const base = { target: req.target.label, whisper: { played: false } };
  if (!leg.active) return { ...base, result: 'failed', reason: 'caller-hung-up', attempts: [] };
  await leg.hold(req.holdMusic);
  const cancel = abortWhenEnded(leg, req.signal);
  let attempts: MemberAttempt[] = [];
  const back = async (
    reason: WarmFailureReason,
    extra: Partial<WarmTransferOutcome> = {},
    target?: CallLeg,
  ): Promise<WarmTransferOutcome> => {
    if (target?.active) await target.hangup('normal').catch(() => undefined);
    if (leg.active) await leg.unhold().catch(() => undefined);
    return { ...base, ...extra, attempts, result: 'failed', reason: leg.active ? reason : 'caller-hung-up' };
  };
  try {
    const dialled = await dialTarget(req.telephony, req.target, {
      ringTimeoutMs: req.ringTimeoutMs,
      ...(req.callerId ? { callerId: req.callerId } : {}),
      signal: cancel.signal,
    });
    attempts = dialled.attempts;
    if (dialled.outcome === 'failed') {
      return back(dialled.reason, dialled.status !== undefined ? { status: dialled.status } : {});
    }
    const target = dialled.leg;
    const member = { member: dialled.member };
    const whisper = { played: false, text: req.whisper };
    // Whisper and question go to the target's leg only; the caller's leg keeps playing hold audio.
    if (req.whisper.trim()) {
      const played = await target
        .play({ kind: 'speech', text: req.whisper, ...(req.voice ? { voice: req.voice } : {}) })
        .catch(() => undefined);
      whisper.played = played?.status === 'completed';
    }
    if (!leg.active) return back('caller-hung-up', { ...member, whisper }, target);
    if (!target.active) return back('target-hung-up', { ...member, whisper }, target);
    let confirmed: boolean | undefined;
    if (req.confirm) {
      const decision = awaitDecision(target, req.confirm.timeoutMs);
      void target
        .play({ kind: 'speech', text: req.confirm.prompt }, { interruptOnDtmf: true })
        .catch(() => undefined);
      const onCallerGone = (): void => decision.cancel();
      leg.on('hangup', onCallerGone);
      const answer = await decision.result;
      leg.off('hangup', onCallerGone);
      if (answer !== 'accept') {
        const reason =
          answer === 'decline' ? 'declined' : answer === 'hangup' ? 'target-hung-up' : 'no-confirmation';
        return back(reason, { ...member, whisper, confirmed: false }, target);
      }
      confirmed = true;
      target.stopPlayback();
    }
    if (!leg.active) return back('caller-hung-up', { ...member, whisper }, target);
    await req.handoff?.apply();
    try {
      await leg.unhold();
      await leg.bridge(target);
    } catch {
      await req.handoff?.undo();
      return back('bridge-failed', { ...member, whisper }, target);
    }
    hangupTogether(leg, target);
    return {
      ...base,
      ...member,
      whisper,
      attempts,
      result: 'connected',
      ...(confirmed !== undefined ? { confirmed } : {}),
    };
  } finally {
    cancel.release();
  }
}
