import type { InboundCall } from '../telephony/port.js';

/** What became of an INVITE the call layer handled. Bounded: safe as a label value. */
export type InviteResult =
  'answered' | 'redirected_3xx' | 'refused_4xx' | 'refused_5xx' | 'refused_6xx' | 'cancelled' | 'failed';

export const INVITE_RESULTS: readonly InviteResult[] = [
  'answered',
  'redirected_3xx',
  'refused_4xx',
  'refused_5xx',
  'refused_6xx',
  'cancelled',
  'failed',
];

/** The status class of a final refusal (RFC 3261 §21: 3xx redirection, 4xx/5xx/6xx failures). */
export function refusalResult(status: number): InviteResult {
  if (status >= 300 && status < 400) return 'redirected_3xx';
  if (status >= 400 && status < 500) return 'refused_4xx';
  if (status >= 500 && status < 600) return 'refused_5xx';
  if (status >= 600 && status < 700) return 'refused_6xx';
  return 'failed';
}

type InboundHandler = (call: InboundCall) => void | Promise<void>;

/**
 * Wraps the telephony backend's inbound handler so each INVITE it hands over is counted once, by what
 * became of it: answered (the 200 OK was acknowledged), refused by status class, cancelled by the caller
 * before an answer, or failed (the answer or the handler threw). The call object the handler sees is
 * the backend's own behind a Proxy that only watches `reject` and `answer`: every other member, and
 * `this` inside the backend's methods, stay the backend's.
 */
export function countInvites(
  handler: InboundHandler,
  count: (result: InviteResult) => void,
): (call: InboundCall) => Promise<void> {
  return async (call: InboundCall) => {
    let settled = false;
    const settle = (result: InviteResult): void => {
      if (settled) return;
      settled = true;
      count(result);
    };
    void call.cancelled.then(() => settle('cancelled'));
    const watched = new Proxy(call, {
      get(target, prop) {
        if (prop === 'reject') {
          return async (status: number, reason?: string) => {
            settle(refusalResult(status));
            return target.reject(status, reason);
          };
        }
        if (prop === 'answer') {
          return async () => {
            try {
              const leg = await target.answer();
              settle('answered');
              return leg;
            } catch (err) {
              settle('failed');
              throw err;
            }
          };
        }
        const value: unknown = Reflect.get(target, prop);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    try {
      await handler(watched);
    } catch (err) {
      settle('failed');
      throw err;
    }
  };
}
