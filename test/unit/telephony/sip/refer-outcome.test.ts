import { describe, expect, it } from 'vitest';
import {
  referOutcomeForNotify,
  referOutcomeForResponse,
  referTimedOut,
  type ReferNotify,
  type ReferResponse,
} from '../../../../src/telephony/sip/refer-outcome.js';
import type { ReferOutcome } from '../../../../src/telephony/port.js';

describe('REFER outcome from the REFER response (RFC 3515 §2.4.2)', () => {
  it.each<[string, ReferResponse, ReferOutcome | 'accepted' | undefined]>([
    ['202 Accepted', { status: 202, reason: 'Accepted' }, 'accepted'],
    ['200 OK (older agents)', { status: 200 }, 'accepted'],
    ['100 Trying decides nothing', { status: 100 }, undefined],
    [
      '603 Decline',
      { status: 603, reason: 'Decline' },
      { outcome: 'failed', stage: 'refer', status: 603, reason: 'Decline' },
    ],
    ['403 without a reason', { status: 403 }, { outcome: 'failed', stage: 'refer', status: 403 }],
    [
      '405 Method Not Allowed',
      { status: 405, reason: '' },
      { outcome: 'failed', stage: 'refer', status: 405 },
    ],
    [
      '408 Request Timeout',
      { status: 408, reason: 'Request Timeout' },
      { outcome: 'timeout', stage: 'refer' },
    ],
    ['transaction timeout', 'timeout', { outcome: 'timeout', stage: 'refer' }],
  ])('%s', (_name, response, expected) => {
    expect(referOutcomeForResponse(response)).toEqual(expected);
  });
});

describe('REFER outcome from a NOTIFY (RFC 3515 §2.4.5)', () => {
  const frag = (status: number, reason = ''): ReferNotify['sipfrag'] => ({ status, reason });
  it.each<[string, ReferNotify, number | undefined, ReferOutcome | undefined]>([
    ['100 Trying, active', { sipfrag: frag(100, 'Trying'), terminated: false }, undefined, undefined],
    ['180 Ringing, active', { sipfrag: frag(180, 'Ringing'), terminated: false }, 100, undefined],
    ['200 OK', { sipfrag: frag(200, 'OK'), terminated: true }, 180, { outcome: 'completed', status: 200 }],
    [
      '200 OK, still active',
      { sipfrag: frag(200, 'OK'), terminated: false },
      undefined,
      { outcome: 'completed', status: 200 },
    ],
    [
      '486 Busy Here',
      { sipfrag: frag(486, 'Busy Here'), terminated: true },
      180,
      { outcome: 'failed', stage: 'notify', status: 486, reason: 'Busy Here' },
    ],
    [
      '408 in the sipfrag is the transferred call failing',
      { sipfrag: frag(408), terminated: true },
      undefined,
      { outcome: 'failed', stage: 'notify', status: 408 },
    ],
    [
      'terminated on a provisional status',
      { sipfrag: frag(180, 'Ringing'), terminated: true },
      100,
      { outcome: 'timeout', stage: 'notify', lastStatus: 180 },
    ],
    [
      'terminated without a sipfrag',
      { terminated: true },
      100,
      { outcome: 'timeout', stage: 'notify', lastStatus: 100 },
    ],
    ['terminated, nothing seen', { terminated: true }, undefined, { outcome: 'timeout', stage: 'notify' }],
    ['no sipfrag, active', { terminated: false }, 100, undefined],
  ])('%s', (_name, notify, lastStatus, expected) => {
    expect(referOutcomeForNotify(notify, lastStatus)).toEqual(expected);
  });
});

describe('REFER given up on', () => {
  it.each<[string, boolean, number | undefined, ReferOutcome]>([
    ['before the REFER was answered', false, undefined, { outcome: 'timeout', stage: 'refer' }],
    ['accepted, no NOTIFY', true, undefined, { outcome: 'timeout', stage: 'notify' }],
    ['accepted, last NOTIFY 180', true, 180, { outcome: 'timeout', stage: 'notify', lastStatus: 180 }],
  ])('%s', (_name, accepted, lastStatus, expected) => {
    expect(referTimedOut(accepted, lastStatus)).toEqual(expected);
  });
});
