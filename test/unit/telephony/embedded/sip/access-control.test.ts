import { describe, expect, it } from 'vitest';
import { AccessControl } from '../../../../../src/telephony/sip/access-control.js';
import { parseAddressRange as parseCidr } from '../../../../../src/telephony/sip/address-range.js';
import { DidRouter } from '../../../../../src/telephony/sip/did-router.js';

const trunk = {
  name: 'carrier',
  host: '203.0.113.10',
  port: 5060,
  transport: 'udp' as const,
  username: '',
  password: '',
  allow_refer: true,
  dtmf_method: 'rfc4733' as const,
  caller_id: '',
  inbound_allow: ['203.0.113.0/24'],
  inbound_username: '',
  inbound_password: '',
};

describe('access control', () => {
  it('allows trunk ranges (naming the trunk) and global ranges, refuses the rest', () => {
    const ac = new AccessControl({
      allow: ['10.0.0.0/8', '::1'],
      scannerUserAgents: ['friendly-scanner'],
      trunks: [trunk],
    });
    expect(ac.decide('203.0.113.99', 'x')).toEqual({ verdict: 'allow', trunk: 'carrier' });
    expect(ac.decide('10.1.2.3', undefined)).toEqual({ verdict: 'allow' });
    expect(ac.decide('::ffff:10.1.2.3', undefined)).toEqual({ verdict: 'allow' });
    expect(ac.decide('::1', undefined)).toEqual({ verdict: 'allow' });
    expect(ac.decide('198.51.100.1', undefined)).toEqual({ verdict: 'refuse' });
    expect(ac.decide('10.1.2.3', 'Friendly-Scanner 1.0')).toEqual({ verdict: 'drop' });
  });

  it('challenges unknown addresses when digest users exist', () => {
    const ac = new AccessControl({
      allow: [],
      scannerUserAgents: [],
      trunks: [{ ...trunk, inbound_allow: [], inbound_username: 'pbx', inbound_password: 's' }],
    });
    expect(ac.decide('198.51.100.1', undefined)).toEqual({ verdict: 'challenge' });
    expect([ac.password('pbx'), ac.trunkOfUser('pbx'), ac.password('nobody')]).toEqual([
      's',
      'carrier',
      undefined,
    ]);
  });

  it('exempts from digest bans the allowed ranges and the trunk hosts given as addresses', () => {
    const ac = new AccessControl({
      allow: ['10.0.0.0/8'],
      scannerUserAgents: [],
      trunks: [
        { ...trunk, host: '192.0.2.20', inbound_allow: ['203.0.113.0/24'] },
        { ...trunk, name: 'by-name', host: 'sip.example.net', inbound_allow: [] },
        { ...trunk, name: 'v6', host: '[2001:db8::20]', inbound_allow: [] },
      ],
    });
    expect(
      ['10.9.9.9', '203.0.113.5', '192.0.2.20', '::ffff:192.0.2.20', '2001:db8::20'].map((a) =>
        ac.exemptFromBans(a),
      ),
    ).toEqual([true, true, true, true, true]);
    expect(
      ['192.0.2.21', '198.51.100.1', '2001:db8::21', 'garbage'].map((a) => ac.exemptFromBans(a)),
    ).toEqual([false, false, false, false]);
  });

  it('names the bad entry of a CIDR list', () => {
    expect(() => parseCidr('10.0.0.0/33', 'sip.allow[0]')).toThrow(
      'sip.allow[0]: got "10.0.0.0/33", expected an IP address or CIDR',
    );
  });
});

describe('DID routing', () => {
  it.each([
    [['*'], 'anything', true],
    [['1000', '+1415555*'], '+14155550100', true],
    [['1000', '+1415555*'], '1000', true],
    [['1000', '+1415555*'], '1001', false],
    [['10?0'], '1050', true],
    [['+1.5'], '+125', false],
  ])('%j accepts %s: %s', (entries, user, expected) => {
    expect(new DidRouter(entries).accepts(user)).toBe(expected);
  });
});
