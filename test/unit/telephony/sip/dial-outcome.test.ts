import { describe, expect, it } from 'vitest';
import { dialOutcome, type InviteFinal } from '../../../../src/telephony/sip/dial-outcome.js';

const rang = { provisional: true } as const;
const silent = { provisional: false } as const;

describe('dial outcome from the INVITE final response (both backends)', () => {
  it.each<[string, InviteFinal, ReturnType<typeof dialOutcome>]>([
    ['2xx', { status: 200, ...rang }, { outcome: 'answered' }],
    ['486 Busy Here', { status: 486, ...rang }, { outcome: 'busy', status: 486 }],
    ['600 Busy Everywhere', { status: 600, ...silent }, { outcome: 'busy', status: 600 }],
    ['480 Temporarily Unavailable', { status: 480, ...rang }, { outcome: 'no-answer', status: 480 }],
    ['480 before any 1xx', { status: 480, ...silent }, { outcome: 'no-answer', status: 480 }],
    ['408 after ringing', { status: 408, ...rang }, { outcome: 'no-answer', status: 408 }],
    ['408 before any 1xx (Timer B)', { status: 408, ...silent }, { outcome: 'timeout' }],
    ['no final response (Timer B)', { ...silent }, { outcome: 'timeout' }],
    ['no final response after ringing', { ...rang }, { outcome: 'timeout' }],
    [
      '487 we did not ask for',
      { status: 487, reason: 'Request Terminated', ...rang },
      { outcome: 'rejected', status: 487, reason: 'Request Terminated' },
    ],
    [
      '487 after our ring-timeout CANCEL',
      { status: 487, cancelledBy: 'ring-timeout', ...rang },
      { outcome: 'no-answer', status: 487 },
    ],
    ['487 after our abort CANCEL', { status: 487, cancelledBy: 'abort', ...rang }, { outcome: 'cancelled' }],
    [
      '2xx crossing a ring-timeout CANCEL',
      { status: 200, cancelledBy: 'ring-timeout', ...rang },
      { outcome: 'no-answer' },
    ],
    [
      '2xx crossing an abort CANCEL',
      { status: 200, cancelledBy: 'abort', ...rang },
      { outcome: 'cancelled' },
    ],
    [
      'no final after a ring-timeout CANCEL',
      { cancelledBy: 'ring-timeout', ...rang },
      { outcome: 'no-answer' },
    ],
    ['no final after an abort CANCEL', { cancelledBy: 'abort', ...rang }, { outcome: 'cancelled' }],
    [
      '486 that beat our CANCEL',
      { status: 486, cancelledBy: 'abort', ...rang },
      { outcome: 'busy', status: 486 },
    ],
    [
      '603 Decline',
      { status: 603, reason: 'Decline', ...rang },
      { outcome: 'rejected', status: 603, reason: 'Decline' },
    ],
    [
      '404 Not Found',
      { status: 404, reason: 'Decline', ...silent },
      { outcome: 'rejected', status: 404, reason: 'Decline' },
    ],
    ['503 without a reason phrase', { status: 503, ...silent }, { outcome: 'rejected', status: 503 }],
    ['302 (redirects are not followed)', { status: 302, ...silent }, { outcome: 'rejected', status: 302 }],
  ])('%s', (_name, final, expected) => {
    expect(dialOutcome(final)).toEqual(expected);
  });
});
