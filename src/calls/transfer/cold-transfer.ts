import type { CallLeg, ReferOutcome, Telephony } from '../../telephony/port.js';
import { dialTarget, type MemberAttempt, type TargetFailureReason } from '../targets/dial-target.js';
import type { DispositionHandoff } from './transfer-record.js';
import type { ResolvedTarget } from '../targets/target-resolver.js';
import { abortWhenEnded, hangupTogether } from './leg-links.js';

/** What happened to the REFER: the port's outcome, or why none was sent. */
export type ReferAttempt =
  | ReferOutcome
  | { outcome: 'skipped'; reason: 'trunk-disallows-refer' | 'ring-group' | 'disabled' }
  | { outcome: 'error'; message: string };

export interface BridgeAttempt {
  outcome: 'answered' | 'failed';
  member?: string;
  reason?: TargetFailureReason | 'bridge-failed';
  status?: number;
  attempts: MemberAttempt[];
}

/**
 * One typed outcome for both methods: e.g. `{method:'bridge', refer:{outcome:'failed', stage:'refer',
 * status:603}, bridge:{outcome:'answered'…}, result:'connected'}`.
 */
export interface ColdTransferOutcome {
  target: string;
  method: 'refer' | 'bridge' | 'none';
  refer: ReferAttempt;
  bridge?: BridgeAttempt;
  /** completed = the peer took the call by REFER; connected = we bridged it; failed = the caller is still ours. */
  result: 'completed' | 'connected' | 'failed';
  reason?: string;
}

export interface ColdTransferRequest {
  leg: CallLeg;
  target: ResolvedTarget;
  /** Needed for the bridged fallback. */
  telephony?: Telephony;
  /** What Refer-To carries for a single target (a SIP URI); undefined = no REFER. */
  referTo?: string;
  /** False when the trunk is configured without REFER (sip.trunks[].allow_refer). */
  allowRefer: boolean;
  referredBy?: string;
  referNotifyTimeoutMs: number;
  ringTimeoutMs: number;
  callerId?: string;
  signal?: AbortSignal;
  /** Runs right before the call first leaves the agent (the disposition); `undo` if nothing took it. */
  handoff?: DispositionHandoff;
}

function referSkip(req: ColdTransferRequest): ReferAttempt | undefined {
  if (req.target.kind === 'group') return { outcome: 'skipped', reason: 'ring-group' };
  if (!req.allowRefer) return { outcome: 'skipped', reason: 'trunk-disallows-refer' };
  if (!req.referTo) return { outcome: 'skipped', reason: 'disabled' };
  return undefined;
}

async function tryRefer(req: ColdTransferRequest): Promise<ReferAttempt> {
  try {
    return await req.leg.refer(req.referTo as string, {
      notifyTimeoutMs: req.referNotifyTimeoutMs,
      ...(req.referredBy ? { referredBy: req.referredBy } : {}),
    });
  } catch (err) {
    // A backend refusing REFER (trunk policy, a REFER already running) is a reason to bridge instead.
    return { outcome: 'error', message: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * Cold transfer (RFC 3515 REFER with RFC 3892 Referred-By). If the peer rejects the REFER, never sends a
 * final NOTIFY in time, or the trunk does not allow REFER, the target is dialled and bridged instead.
 * After `completed` the caller's leg is hung up (the peer has its own call to the target now); after
 * `connected` the two legs stay bridged and end together.
 */
export async function coldTransfer(req: ColdTransferRequest): Promise<ColdTransferOutcome> {
  const label = req.target.label;
  if (!req.leg.active) {
    return {
      target: label,
      method: 'none',
      refer: { outcome: 'skipped', reason: 'disabled' },
      result: 'failed',
      reason: 'caller-hung-up',
    };
  }
  await req.handoff?.apply();
  const refer = referSkip(req) ?? (await tryRefer(req));
  if (refer.outcome === 'completed') {
    // Not awaited: the leg ends (hangup event) at once, but the BYE's 200 may come later, and the call's
    // end, which that event starts, would otherwise cancel this run although the transfer is done.
    void req.leg.hangup('transferred').catch(() => undefined);
    return { target: label, method: 'refer', refer, result: 'completed' };
  }
  const failed = async (reason: string, bridge?: BridgeAttempt): Promise<ColdTransferOutcome> => {
    await req.handoff?.undo();
    return {
      target: label,
      method: bridge ? 'bridge' : 'none',
      refer,
      ...(bridge ? { bridge } : {}),
      result: 'failed',
      reason,
    };
  };
  if (!req.leg.active) return failed('caller-hung-up');
  if (!req.telephony) return failed('no telephony service to place the bridged call');
  const cancel = abortWhenEnded(req.leg, req.signal);
  try {
    const dialled = await dialTarget(req.telephony, req.target, {
      ringTimeoutMs: req.ringTimeoutMs,
      ...(req.callerId ? { callerId: req.callerId } : {}),
      signal: cancel.signal,
    });
    if (dialled.outcome === 'failed') {
      const bridge: BridgeAttempt = {
        outcome: 'failed',
        reason: dialled.reason,
        ...(dialled.status !== undefined ? { status: dialled.status } : {}),
        attempts: dialled.attempts,
      };
      return await failed(req.leg.active ? dialled.reason : 'caller-hung-up', bridge);
    }
    const bridge: BridgeAttempt = { outcome: 'answered', member: dialled.member, attempts: dialled.attempts };
    try {
      await req.leg.bridge(dialled.leg);
    } catch (err) {
      await dialled.leg.hangup('normal').catch(() => undefined);
      return await failed(`bridge-failed: ${err instanceof Error ? err.message : String(err)}`, {
        ...bridge,
        outcome: 'failed',
        reason: 'bridge-failed',
      });
    }
    hangupTogether(req.leg, dialled.leg);
    return { target: label, method: 'bridge', refer, bridge, result: 'connected' };
  } finally {
    cancel.release();
  }
}
