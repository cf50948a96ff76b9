import { describe, expect, it } from 'vitest';
import { infoDtmfBody, parseInfoDtmf } from '../../../../src/telephony/sip/info-dtmf.js';

describe('SIP INFO DTMF bodies (both backends)', () => {
  it.each([
    // moved from the embedded backend's tests
    ['application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n', { digit: '5', durationMs: 160 }],
    ['application/dtmf-relay', 'signal= #\r\n', { digit: '#' }],
    ['application/dtmf', '7', { digit: '7' }],
    ['application/dtmf-relay', 'Signal=X', undefined],
    ['text/plain', '5', undefined],
    // moved from the freeswitch backend's tests
    ['application/dtmf-relay', 'Signal=10\r\nDuration=100', { digit: '*', durationMs: 100 }],
    ['application/dtmf-relay', 'Signal= 7', { digit: '7' }],
    ['application/dtmf-relay', 'Duration=100', undefined],
    // Signal=10 / 11 as some gateways send * and #, and RFC 4733 codes 12-15 for A-D
    ['application/dtmf-relay', 'Signal=11\r\nDuration=250\r\n', { digit: '#', durationMs: 250 }],
    ['application/dtmf-relay', 'Signal=12', { digit: 'A' }],
    ['application/dtmf-relay', 'Signal=15', { digit: 'D' }],
    ['application/dtmf-relay', 'Signal=16', undefined],
    ['application/dtmf-relay', 'Signal=*', { digit: '*' }],
    ['application/dtmf-relay', 'Signal=d', { digit: 'D' }],
    ['Application/DTMF-Relay; charset=utf-8', 'Signal=3', { digit: '3' }],
    ['application/dtmf', ' # \r\n', { digit: '#' }],
    ['application/dtmf', '10', undefined],
    ['application/dtmf', '', undefined],
    [undefined, 'Signal=5', undefined],
  ])('%s %j → %j', (type, body, expected) => {
    expect(parseInfoDtmf(type, body)).toEqual(expected);
  });

  it.each(['0', '9', '*', '#', 'A', 'd'])(
    'writes %s in the one format it sends, and reads it back',
    (digit) => {
      const body = infoDtmfBody(digit, 100);
      expect(body).toBe(`Signal=${digit.toUpperCase()}\r\nDuration=100\r\n`);
      expect(parseInfoDtmf('application/dtmf-relay', body)).toEqual({
        digit: digit.toUpperCase(),
        durationMs: 100,
      });
    },
  );

  it('refuses to write a body for something that is not a digit', () => {
    expect(() => infoDtmfBody('w', 100)).toThrow('digit: got "w", expected one of 0-9, *, #, A-D');
  });
});
