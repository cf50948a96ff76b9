import { describe, expect, it } from 'vitest';
import { trunkRequestUri } from '../../../../src/telephony/sip/trunk-request-uri.js';

describe('E.164 Request-URI on a trunk (both backends)', () => {
  it.each([
    [
      '+14155550100',
      { host: 'carrier.example.com', port: 5060, transport: 'udp' as const },
      'sip:+14155550100@carrier.example.com',
    ],
    ['+14155550100', { host: 'carrier.example.com' }, 'sip:+14155550100@carrier.example.com'],
    [
      '+14155550100',
      { host: '203.0.113.5', port: 5070, transport: 'udp' as const },
      'sip:+14155550100@203.0.113.5:5070',
    ],
    [
      '+442071838750',
      { host: '203.0.113.5', port: 5060, transport: 'tcp' as const },
      'sip:+442071838750@203.0.113.5;transport=tcp',
    ],
    [
      '+442071838750',
      { host: '203.0.113.5', port: 5080, transport: 'tcp' as const },
      'sip:+442071838750@203.0.113.5:5080;transport=tcp',
    ],
    ['+14155550100', { host: '2001:db8::5', port: 5060 }, 'sip:+14155550100@[2001:db8::5]'],
    ['+14155550100', { host: '[2001:db8::5]', port: 5062 }, 'sip:+14155550100@[2001:db8::5]:5062'],
  ])('%s via %j → %s', (number, trunk, uri) => {
    expect(trunkRequestUri(number, trunk)).toBe(uri);
  });

  it.each(['14155550100', '+0123', '+1 415 555 0100', ''])(
    'refuses %j, naming the accepted form',
    (number) => {
      expect(() => trunkRequestUri(number, { host: 'h' })).toThrow(
        `target: got ${JSON.stringify(number)}, expected an E.164 number such as +14155550100`,
      );
    },
  );
});
