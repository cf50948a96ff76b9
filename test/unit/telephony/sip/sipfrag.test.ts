import { describe, expect, it } from 'vitest';
import { parseSipfrag } from '../../../../src/telephony/sip/sipfrag.js';

describe('message/sipfrag status lines (RFC 3420)', () => {
  it.each([
    ['SIP/2.0 603 Declined\r\n', { status: 603, reason: 'Declined' }],
    ['SIP/2.0 200 OK', { status: 200, reason: 'OK' }],
    ['SIP/2.0 100 Trying\r\nContent-Length: 0\r\n', { status: 100, reason: 'Trying' }],
    ['\r\nSIP/2.0 486 Busy Here\r\n', { status: 486, reason: 'Busy Here' }],
    ['sip/2.0 180 Ringing', { status: 180, reason: 'Ringing' }],
    ['SIP/2.0 200', { status: 200, reason: '' }],
    ['SIP/2.0 503   Service Unavailable  \r\n', { status: 503, reason: 'Service Unavailable' }],
  ])('%j → %j', (body, expected) => {
    expect(parseSipfrag(body)).toEqual(expected);
  });

  it.each([
    ['garbage'],
    [''],
    [undefined],
    ['INVITE sip:bob@example.com SIP/2.0\r\n'],
    ['SIP/2.0 99 Too Short'],
    ['SIP/2.0 700 Out Of Range'],
    ['SIP/3.0 200 OK'],
    // RFC 3420 §2: the start line is the first line; a status further down is not one.
    ['Subject: hi\r\nSIP/2.0 200 OK\r\n'],
  ])('%j has no status line', (body) => {
    expect(parseSipfrag(body)).toBeUndefined();
  });
});
