import { describe, expect, it } from 'vitest';
import { formatDtmfSteps, parseDtmfDigits } from '../../../../src/telephony/sip/dtmf-digits.js';

describe('DTMF digit strings (both backends)', () => {
  it.each([
    ['1', [{ kind: 'digit', digit: '1' }]],
    [
      '*#',
      [
        { kind: 'digit', digit: '*' },
        { kind: 'digit', digit: '#' },
      ],
    ],
    ['a', [{ kind: 'digit', digit: 'A' }]],
    [
      '1w2W#',
      [
        { kind: 'digit', digit: '1' },
        { kind: 'pause', ms: 500 },
        { kind: 'digit', digit: '2' },
        { kind: 'pause', ms: 1000 },
        { kind: 'digit', digit: '#' },
      ],
    ],
    [
      'ww9',
      [
        { kind: 'pause', ms: 500 },
        { kind: 'pause', ms: 500 },
        { kind: 'digit', digit: '9' },
      ],
    ],
  ])('%j', (digits, steps) => {
    expect(parseDtmfDigits(digits)).toEqual(steps);
  });

  it.each([
    ['12x', '"x" is not allowed'],
    ['1 2', '" " is not allowed'],
    ['1,2', '"," is not allowed'],
    ['E', '"E" is not allowed'],
    ['', 'expected at least one digit'],
    ['wW', 'expected at least one digit'],
  ])('refuses %j with a VALIDATION error naming the value (%s)', (digits, why) => {
    expect(() => parseDtmfDigits(digits)).toThrow(`digits: got ${JSON.stringify(digits)}`);
    expect(() => parseDtmfDigits(digits)).toThrow(why);
    try {
      parseDtmfDigits(digits);
    } catch (err) {
      expect(err).toMatchObject({
        code: 'VALIDATION',
        issues: [
          {
            field: 'digits',
            value: digits,
            expected: 'digits 0-9, A-D, * and #, with w (500 ms) and W (1 s) pauses',
          },
        ],
      });
    }
  });

  it('writes steps back in FreeSWITCH dial-string syntax', () => {
    expect(formatDtmfSteps(parseDtmfDigits('1w2W#a'))).toBe('1w2W#A');
  });
});
