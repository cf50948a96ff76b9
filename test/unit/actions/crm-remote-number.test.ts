import { describe, expect, it } from 'vitest';
import { remoteNumber } from '../../../src/actions/types/crm-log-activity.js';
import type { CallSnapshot } from '../../../src/integrations/call-snapshot.js';

function snapshot(call: Record<string, unknown>, contact: Record<string, unknown> = {}): CallSnapshot {
  return {
    call,
    contact,
    transcript: [],
    summary: '',
    collected: {},
    dispositions: { call: null, contact: null },
  };
}

describe('the number a CRM activity is matched by', () => {
  it.each([
    [
      'an inbound caller written 00 44 …',
      { direction: 'inbound', from: '00 44 20 7183 8750' },
      '+442071838750',
    ],
    ['an outbound callee in E.164', { direction: 'outbound', to: '+14155550123' }, '+14155550123'],
    ['a SIP user that is no number', { direction: 'inbound', from: 'alice' }, 'alice'],
    ['the contact phone when the call has none', { direction: 'inbound' }, '+442071838750'],
  ])('%s', (_name, call, expected) => {
    expect(remoteNumber(snapshot(call, { phone: '+44 20 7183 8750' }))).toBe(expected);
  });
});
