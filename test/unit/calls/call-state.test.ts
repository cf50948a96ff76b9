import { describe, expect, it } from 'vitest';
import { ALLOWED_TRANSITIONS, CallStateError, CallStateMachine } from '../../../src/calls/call-state.js';
import { CALL_STATES, type CallState } from '../../../src/actions/action-type.js';

function at(path: CallState[]): CallStateMachine {
  const m = new CallStateMachine();
  for (const s of path) m.to(s);
  return m;
}

const reach: Record<CallState, CallState[]> = {
  ringing: [],
  answered: ['answered'],
  'handed-off': ['answered', 'handed-off'],
  ended: ['ended'],
};

describe('call state machine', () => {
  const pairs = CALL_STATES.flatMap((from) => CALL_STATES.map((to) => [from, to] as const));
  it.each(pairs)('%s -> %s is allowed only when listed', (from, to) => {
    const m = at(reach[from]);
    const allowed = ALLOWED_TRANSITIONS[from].includes(to);
    if (allowed) {
      m.to(to);
      expect(m.state).toBe(to);
    } else {
      expect(() => m.to(to)).toThrow(CallStateError);
      expect(m.state).toBe(from);
    }
  });

  it('walks ringing -> answered -> handed-off -> ended and reports each move', () => {
    const moves: string[] = [];
    const m = new CallStateMachine();
    m.onChange((a, b) => moves.push(`${a}>${b}`));
    m.to('answered');
    m.to('handed-off');
    m.to('ended');
    expect(moves).toEqual(['ringing>answered', 'answered>handed-off', 'handed-off>ended']);
  });

  it('names both states in the error', () => {
    expect(() => at(['ended']).to('answered')).toThrow('invalid call state transition ended -> answered');
  });
});
