import type { CallLeg, DialOutcome, DialRequest, Telephony } from '../../telephony/port.js';
import type { DialMember, ResolvedTarget } from './target-resolver.js';

/** What one member did: the dial outcome without the leg. */
export interface MemberAttempt {
  member: string;
  outcome: DialOutcome['outcome'];
  status?: number;
  error?: string;
}

export type TargetFailureReason = 'busy' | 'no-answer' | 'rejected' | 'timeout' | 'cancelled' | 'failed';

export type TargetDialResult =
  | { outcome: 'answered'; leg: CallLeg; member: string; attempts: MemberAttempt[] }
  | { outcome: 'failed'; reason: TargetFailureReason; status?: number; attempts: MemberAttempt[] };

export interface DialTargetOptions {
  callerId?: string;
  callerName?: string;
  trunk?: string;
  /** Ring timeout of single targets (ring-group members use their own). */
  ringTimeoutMs?: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Grace for losing simultaneous members to report their CANCEL outcome (default 3 s). */
  settleMs?: number;
}

function attemptOf(member: string, o: DialOutcome): MemberAttempt {
  const a: MemberAttempt = { member, outcome: o.outcome };
  if ('status' in o && o.status !== undefined) a.status = o.status;
  if (o.outcome === 'failed') a.error = o.error;
  return a;
}

/** Backends throw for configuration problems (unknown trunk); here that is a member that failed. */
async function dialOnce(telephony: Telephony, request: DialRequest): Promise<DialOutcome> {
  try {
    return await telephony.dial(request);
  } catch (err) {
    return { outcome: 'failed', error: err instanceof Error ? err.message : String(err) };
  }
}

function request(member: DialMember, options: DialTargetOptions, signal?: AbortSignal): DialRequest {
  return {
    target: member.dial,
    ...(options.trunk ? { trunk: options.trunk } : {}),
    ...(options.callerId ? { callerId: options.callerId } : {}),
    ...(options.callerName ? { callerName: options.callerName } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
    ringTimeoutMs: member.timeoutMs ?? options.ringTimeoutMs ?? 30_000,
    ...(signal ? { signal } : {}),
  };
}

/**
 * The overall reason when nobody answered: the most telling member outcome wins (a busy member says
 * more than one that was cancelled), so a single target reports exactly what it did.
 */
function failureOf(attempts: MemberAttempt[]): { reason: TargetFailureReason; status?: number } {
  const rank: TargetFailureReason[] = ['busy', 'rejected', 'no-answer', 'timeout', 'failed', 'cancelled'];
  for (const reason of rank) {
    const a = attempts.find((x) => x.outcome === reason);
    if (a) return { reason, ...(a.status !== undefined ? { status: a.status } : {}) };
  }
  return { reason: 'failed' };
}

/**
 * Dials a resolved target: one member; a ring group in order (each member for its own timeout); or all
 * members at once where the first to answer wins and the others are cancelled (the backend sends CANCEL,
 * RFC 3261 §9.1). Returns the answered leg or a typed failure listing what each member did.
 */
export async function dialTarget(
  telephony: Telephony,
  target: ResolvedTarget,
  options: DialTargetOptions = {},
): Promise<TargetDialResult> {
  const members = target.kind === 'single' ? [target.member] : target.members;
  if (target.kind === 'group' && target.strategy === 'simultaneous') {
    return dialSimultaneous(telephony, members, options);
  }
  const attempts: MemberAttempt[] = [];
  for (const member of members) {
    if (options.signal?.aborted) {
      attempts.push({ member: member.label, outcome: 'cancelled' });
      break;
    }
    const outcome = await dialOnce(telephony, request(member, options, options.signal));
    attempts.push(attemptOf(member.label, outcome));
    if (outcome.outcome === 'answered') {
      return { outcome: 'answered', leg: outcome.leg, member: member.label, attempts };
    }
    if (outcome.outcome === 'cancelled') break;
  }
  return { outcome: 'failed', ...failureOf(attempts), attempts };
}

async function dialSimultaneous(
  telephony: Telephony,
  members: DialMember[],
  options: DialTargetOptions,
): Promise<TargetDialResult> {
  const controllers = members.map(() => new AbortController());
  const onAbort = (): void => controllers.forEach((c) => c.abort(options.signal?.reason));
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const attempts: Array<MemberAttempt | undefined> = members.map(() => undefined);
  let winner: { leg: CallLeg; member: string } | undefined;
  let resolveWinner: () => void = () => undefined;
  const someoneAnswered = new Promise<void>((r) => (resolveWinner = r));
  const dials = members.map(async (member, i) => {
    const outcome = await dialOnce(telephony, request(member, options, controllers[i]?.signal));
    attempts[i] = attemptOf(member.label, outcome);
    if (outcome.outcome !== 'answered') return;
    if (winner) {
      // Answered in the same instant as the winner, before our CANCEL arrived: release it.
      attempts[i] = { member: member.label, outcome: 'cancelled' };
      await outcome.leg.hangup('normal').catch(() => undefined);
      return;
    }
    winner = { leg: outcome.leg, member: member.label };
    controllers.forEach((c, j) => j !== i && c.abort(new Error('another member answered')));
    resolveWinner();
  });
  const all = Promise.all(dials);
  await Promise.race([all, someoneAnswered]);
  if (winner) {
    // Let the losers report their CANCEL outcome, but never hold the answered call for long.
    await Promise.race([all, new Promise((r) => setTimeout(r, options.settleMs ?? 3000).unref())]);
  }
  options.signal?.removeEventListener('abort', onAbort);
  const list = attempts.map(
    (a, i) => a ?? { member: members[i]?.label ?? '', outcome: 'cancelled' as const },
  );
  if (winner) return { outcome: 'answered', leg: winner.leg, member: winner.member, attempts: list };
  return { outcome: 'failed', ...failureOf(list), attempts: list };
}
