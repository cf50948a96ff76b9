import { describe, expect, it } from 'vitest';
import { parseSipMessage } from '../../../../../src/telephony/embedded/sip/sip-parser.js';

const invite = [
  'INVITE sip:+14155550100@10.0.0.1:5062;user=phone SIP/2.0',
  'v: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK-1;rport, SIP/2.0/TCP proxy.example.com;branch=z9hG4bK-0',
  'f: "Alice \\"A\\"" <sip:alice@example.com>;tag=abc',
  't: <sip:+14155550100@10.0.0.1>',
  'i: call-1@10.0.0.2',
  'CSeq: 7 INVITE',
  'Max-Forwards: 70',
  'm: <sip:alice@10.0.0.2:5060>',
  'Subject: folded',
  '  header value',
  'c: application/sdp',
  'l: 4',
  '',
  'v=0\r\nextra bytes beyond Content-Length',
].join('\r\n');

describe('parseSipMessage', () => {
  it('parses a request with compact headers, folding, quoted names and several Vias', () => {
    const r = parseSipMessage(Buffer.from(invite));
    if (!('message' in r) || r.message.kind !== 'request') throw new Error(JSON.stringify(r));
    const m = r.message;
    expect(m.method).toBe('INVITE');
    expect(m.callId).toBe('call-1@10.0.0.2');
    expect(m.cseq).toEqual({ seq: 7, method: 'INVITE' });
    expect(m.from.displayName).toBe('Alice "A"');
    expect(m.from.params.tag).toBe('abc');
    expect(m.to.uri.user).toBe('+14155550100');
    expect(m.vias.map((v) => [v.transport, v.host, v.port, v.branch])).toEqual([
      ['UDP', '10.0.0.2', 5060, 'z9hG4bK-1'],
      ['TCP', 'proxy.example.com', undefined, 'z9hG4bK-0'],
    ]);
    expect(m.vias[0]?.params).toHaveProperty('rport', null);
    expect(m.headers.get('subject')).toBe('folded header value');
    expect(m.body).toBe('v=0\r');
  });

  it('parses a response', () => {
    const text =
      'SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP a;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n';
    const r = parseSipMessage(Buffer.from(text));
    expect('message' in r && r.message.kind === 'response' && r.message.status).toBe(180);
  });

  it.each([
    ['Content-Length beyond the datagram', invite.replace('l: 4', 'l: 400'), 400],
    ['SIP/3.0', invite.replace('SIP/2.0\r\nv:', 'SIP/3.0\r\nv:'), 505],
    ['CSeq method mismatch', invite.replace('CSeq: 7 INVITE', 'CSeq: 7 BYE'), 400],
    ['mailto: Request-URI', invite.replace('sip:+14155550100@10.0.0.1:5062;user=phone', 'mailto:a@b'), 416],
    ['no From', invite.replace(/^f: .*\r\n/m, ''), 400],
    ['CSeq of 2^31', invite.replace('CSeq: 7', 'CSeq: 2147483648'), 400],
  ])('refuses %s with %i and keeps the headers for the answer', (_name, text, status) => {
    const r = parseSipMessage(Buffer.from(text));
    expect('status' in r ? r.status : 'parsed').toBe(status);
    expect('headers' in r && r.headers?.get('call-id')).toBe('call-1@10.0.0.2');
  });

  it('refuses bytes without an end of headers (as a request that earns a 400 when its Via is readable)', () => {
    expect(parseSipMessage(Buffer.from('hello'))).toMatchObject({
      error: 'no end of headers (CRLF CRLF)',
      status: 400,
    });
  });
});
