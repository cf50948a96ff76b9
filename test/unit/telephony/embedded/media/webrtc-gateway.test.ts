import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../../src/logging/logger.js';
import { MediaNegotiationError } from '../../../../../src/telephony/embedded/media/media-session.js';
import { isWebRtcOffer, WebRtcGateway } from '../../../../../src/telephony/embedded/media/webrtc-gateway.js';

const log = createLogger({ level: 'silent', redact_pii: true });

/** A Chromium audio offer; `formats` replaces its payload types (and their rtpmaps). */
function offer(
  formats: Array<[number, string]> = [
    [111, 'opus/48000/2'],
    [0, 'PCMU/8000'],
    [8, 'PCMA/8000'],
  ],
): string {
  return [
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    `m=audio 56290 UDP/TLS/RTP/SAVPF ${formats.map(([pt]) => pt).join(' ')}`,
    'c=IN IP4 127.0.0.1',
    'a=candidate:1 1 udp 2122194687 127.0.0.1 56290 typ host generation 0',
    'a=ice-ufrag:9oy7',
    'a=ice-pwd:pRnn+dUnx75KN5nSDZHTceM+',
    'a=fingerprint:sha-256 22:31:58:48:F0:FA:E4:55:26:ED:00:44:5D:47:D7:3C:31:FC:66:C0:F6:B5:7C:47:4D:B6:1D:8F:F6:90:B2:D1',
    'a=setup:actpass',
    'a=mid:0',
    'a=sendrecv',
    'a=rtcp-mux',
    ...formats.map(([pt, name]) => `a=rtpmap:${pt} ${name}`),
    '',
  ].join('\r\n');
}

const open: WebRtcGateway[] = [];
afterEach(() => {
  for (const g of open.splice(0)) g.close();
});

async function answer(
  sdp: string,
  advertised = '127.0.0.1',
  connectTimeoutMs = 15_000,
): Promise<WebRtcGateway> {
  const g = await WebRtcGateway.answer(sdp, { address: '127.0.0.1', advertised, connectTimeoutMs }, log);
  open.push(g);
  return g;
}

describe('WebRtcGateway', () => {
  it.each([
    ['m=audio 9 UDP/TLS/RTP/SAVPF 111 0', true],
    ['m=audio 9 UDP/TLS/RTP/SAVP 0', true],
    ['m=audio 4000 RTP/AVP 0 8', false],
    ['m=video 9 UDP/TLS/RTP/SAVPF 96', false],
  ])('isWebRtcOffer(%j) is %s', (line, expected) => {
    expect(isWebRtcOffer(`v=0\r\n${line}\r\n`)).toBe(expected);
  });

  it('answers ICE-lite with PCMU, a DTLS fingerprint and candidates on the media address only', async () => {
    const g = await answer(offer());
    expect(g.answer).toMatch(/^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 0\r$/m);
    expect(g.answer).toMatch(/^a=ice-lite\r$/m);
    expect(g.answer).toMatch(/^a=setup:(active|passive)\r$/m);
    expect(g.answer).toMatch(/^a=sendrecv\r$/m);
    const candidates = g.answer.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
    expect(candidates.length).toBeGreaterThan(0);
    expect(candidates.map((l) => l.split(' ')[4])).toEqual(candidates.map(() => '127.0.0.1'));
    // The session side: plain RTP to a loopback relay.
    expect(g.relayOffer).toMatch(/^c=IN IP4 127\.0\.0\.1\r$/m);
    expect(g.relayOffer).toMatch(/^m=audio [1-9]\d* RTP\/AVP 0\r$/m);
  });

  it('writes media.advertised_address in the candidate (1:1 NAT)', async () => {
    const g = await answer(offer(), '203.0.113.9');
    const candidates = g.answer.split('\r\n').filter((l) => l.startsWith('a=candidate:'));
    expect(candidates.map((l) => l.split(' ')[4])).toEqual(candidates.map(() => '203.0.113.9'));
  });

  it('refuses an offer without PCMU (the INVITE gets 488)', async () => {
    await expect(answer(offer([[111, 'opus/48000/2']]))).rejects.toBeInstanceOf(MediaNegotiationError);
  });

  it('refuses a plain RTP offer', async () => {
    await expect(answer('v=0\r\nm=audio 4000 RTP/AVP 0\r\n')).rejects.toThrow(
      'WebRTC offer: no UDP/TLS/RTP/SAVPF m=audio line',
    );
  });

  it('reports a failure when ICE never connects within the timeout', async () => {
    const g = await answer(offer(), '127.0.0.1', 300);
    const reason = await new Promise<string>((resolve) => g.onFailed(resolve));
    expect(reason).toBe('ICE/DTLS did not connect within 300 ms');
  });

  it('refuses a session answer without an RTP address', async () => {
    const g = await answer(offer());
    expect(() => g.connect('v=0\r\nm=audio 0 RTP/AVP 0\r\n')).toThrow(
      'the media session gave no RTP address',
    );
    g.close();
    g.close();
  });
});
