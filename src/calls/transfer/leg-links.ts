import type { CallLeg } from '../../telephony/port.js';

/**
 * An AbortSignal that aborts when the leg ends (or the parent signal aborts), so a dial placed on the
 * caller's behalf is cancelled when the caller hangs up. `release` detaches the listeners.
 */
export function abortWhenEnded(leg: CallLeg, parent?: AbortSignal): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const onHangup = (): void => controller.abort(new Error('caller hung up'));
  const onParent = (): void => controller.abort(parent?.reason);
  if (!leg.active) onHangup();
  leg.on('hangup', onHangup);
  if (parent?.aborted) onParent();
  parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: controller.signal,
    release() {
      leg.off('hangup', onHangup);
      parent?.removeEventListener('abort', onParent);
    },
  };
}

/**
 * Keeps two bridged legs together after the agent has left: when either party hangs up, the other
 * leg is hung up too (nobody else is watching them any more).
 */
export function hangupTogether(a: CallLeg, b: CallLeg): void {
  const follow = (other: CallLeg) => (): void => {
    if (other.active) void other.hangup('normal').catch(() => undefined);
  };
  void a.ended.then(follow(b));
  void b.ended.then(follow(a));
}
