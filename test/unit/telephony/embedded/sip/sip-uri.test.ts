import { describe, expect, it } from 'vitest';
import {
  parseNameAddr,
  parseUri,
  parseVia,
  splitNameAddrList,
} from '../../../../../src/telephony/embedded/sip/sip-uri.js';
import { parseAuthParams } from '../../../../../src/telephony/sip/digest-auth.js';

describe('sip-uri parsers', () => {
  it.each([
    ['sip:alice@example.com', { scheme: 'sip', user: 'alice', host: 'example.com' }],
    [
      'sips:+1415@[2001:db8::1]:5061;transport=tcp',
      { scheme: 'sips', user: '+1415', host: '[2001:db8::1]', port: 5061 },
    ],
    ['sip:10.0.0.1', { scheme: 'sip', user: '', host: '10.0.0.1' }],
    ['sip:a%20b:secret@h?x=y', { user: 'a b', host: 'h' }],
  ])('parses %s', (text, expected) => {
    expect(parseUri(text)).toMatchObject(expected);
  });

  it.each(['http://x', 'sip:', 'sip:a@h:99999', 'sip:a b@h'])('refuses %s', (text) => {
    expect(parseUri(text)).toBeUndefined();
  });

  it('keeps addr-spec parameters on the header, name-addr parameters inside the URI', () => {
    expect(parseNameAddr('sip:a@b;tag=1')?.params.tag).toBe('1');
    const na = parseNameAddr('Bob <sip:b@c;transport=tcp>;tag=9');
    expect([na?.displayName, na?.uri.params.transport, na?.params.tag]).toEqual(['Bob', 'tcp', '9']);
  });

  it('parses Via with received/rport and refuses garbage', () => {
    expect(parseVia('SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bKa;received=5.6.7.8;rport=1')).toMatchObject({
      host: '1.2.3.4',
      port: 5060,
      branch: 'z9hG4bKa',
      params: { received: '5.6.7.8', rport: '1' },
    });
    expect(parseVia('SIP/2.0/UDP')).toBeUndefined();
  });

  it('parses digest challenges with quoted and bare values', () => {
    expect(parseAuthParams('Digest realm="r", nonce="n,1", algorithm=MD5, qop="auth"')).toEqual({
      scheme: 'digest',
      params: { realm: 'r', nonce: 'n,1', algorithm: 'MD5', qop: 'auth' },
    });
  });
});

describe('splitNameAddrList (Record-Route, Route: RFC 3261 §7.3.1)', () => {
  it.each([
    ['<sip:a;lr>', ['<sip:a;lr>']],
    ['<sip:a;lr>, <sip:b;lr;ftag=x>', ['<sip:a;lr>', '<sip:b;lr;ftag=x>']],
    ['"Doe, John" <sip:a;lr>,<sip:b>', ['"Doe, John" <sip:a;lr>', '<sip:b>']],
    ['"a \\" , b" <sip:a>, <sip:b>', ['"a \\" , b" <sip:a>', '<sip:b>']],
    ['<sip:a?Subject=x,y>, <sip:b>', ['<sip:a?Subject=x,y>', '<sip:b>']],
    [' , <sip:b> ,', ['<sip:b>']],
  ])('%s', (text, parts) => {
    expect(splitNameAddrList(text)).toEqual(parts);
  });
});
