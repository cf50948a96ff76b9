import { describe, expect, it } from 'vitest';
import { inAddressRange, parseAddressRange } from '../../../../src/telephony/sip/address-range.js';

describe('address ranges (both backends)', () => {
  it.each([
    // IPv4 (moved here from the freeswitch helpers' IPv4-only matcher)
    ['198.51.100.0/24', '198.51.100.7', true],
    ['198.51.100.0/24', '198.51.101.7', false],
    ['10.0.0.1', '10.0.0.1', true],
    ['10.0.0.1', '10.0.0.2', false],
    ['0.0.0.0/0', '1.2.3.4', true],
    ['10.0.0.0/8', '::ffff:10.9.8.7', true],
    ['203.0.113.128/25', '203.0.113.127', false],
    ['203.0.113.128/25', '203.0.113.200', true],
    // IPv6, which the freeswitch backend did not match before
    ['2001:db8::/32', '2001:db8:1234::5', true],
    ['2001:db8::/32', '2001:db9::5', false],
    ['2001:db8::/32', 'not-an-address', false],
    ['::1', '::1', true],
    ['::/0', '2001:db8::1', true],
    ['::/0', '192.0.2.1', false],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['fe80::/10', 'fe80::1ff:fe23:4567:890a', true],
    ['2001:db8::/126', '2001:db8::3', true],
    ['2001:db8::/126', '2001:db8::4', false],
    ['[2001:db8::1]', '2001:db8::1', true],
    ['64:ff9b::/96', '64:ff9b::192.0.2.33', true],
  ])('%s contains %s: %s', (rule, address, expected) => {
    expect(inAddressRange(address, parseAddressRange(rule, 'sip.allow[0]'))).toBe(expected);
  });

  it.each([
    'bad/8',
    '10.0.0.0/33',
    '2001:db8::/129',
    '10.0.0.0/8/8',
    'example.com',
    '10.0.0/8',
    '10.0.0.0/x',
    '',
  ])('refuses %j naming the field, the value and the accepted forms', (entry) => {
    expect(() => parseAddressRange(entry, 'sip.trunks[0].inbound_allow[1]')).toThrow(
      `sip.trunks[0].inbound_allow[1]: got ${JSON.stringify(entry)}, expected an IP address or CIDR such as 203.0.113.0/24 or 2001:db8::/32`,
    );
  });
});
