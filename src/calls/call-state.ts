import type { CallState } from '../actions/action-type.js';

/**
 * The call session's states and the only moves between them. The diagram:
 *
 *   ringing ──► answered ──► handed-off ──► ended
 *      │            │                         ▲
 *      └────────────┴─────────────────────────┘
 *
 * - ringing: an inbound INVITE is being routed and its before stage runs, or an outbound call is dialling.
 * - answered: the agent holds the conversation (during stage).
 * - handed-off: a transfer completed; the agent has left, the caller talks to the target.
 * - ended: the call is over; its end and after-call work are written (one transaction).
 *
 * A move not listed here is a programming error and throws (SIP.js style `stateTransition`).
 */

export const ALLOWED_TRANSITIONS: Readonly<Record<CallState, readonly CallState[]>> = {
  ringing: ['answered', 'ended'],
  answered: ['handed-off', 'ended'],
  'handed-off': ['ended'],
  ended: [],
};

export class CallStateError extends Error {
  constructor(
    readonly from: CallState,
    readonly to: CallState,
  ) {
    super(`invalid call state transition ${from} -> ${to}`);
    this.name = 'CallStateError';
  }
}

/** Holds the current state; `to()` throws on a move the table does not allow. */
export class CallStateMachine {
  private current: CallState = 'ringing';
  private readonly listeners: Array<(from: CallState, to: CallState) => void> = [];

  get state(): CallState {
    return this.current;
  }

  canMove(to: CallState): boolean {
    return ALLOWED_TRANSITIONS[this.current].includes(to);
  }

  to(next: CallState): void {
    if (!this.canMove(next)) throw new CallStateError(this.current, next);
    const from = this.current;
    this.current = next;
    for (const l of this.listeners) l(from, next);
  }

  onChange(listener: (from: CallState, to: CallState) => void): void {
    this.listeners.push(listener);
  }
}
