import { describe, expect, it } from 'vitest';
import { parseSdp } from '../../../../../src/telephony/embedded/media/sdp-parser.js';
import { answerOffer, readAnswer } from '../../../../../src/telephony/embedded/media/sdp-negotiation.js';
import { writeSdp } from '../../../../../src/telephony/embedded/media/sdp-writer.js';
import { MediaNegotiationError } from '../../../../../src/telephony/embedded/media/media-session.js';
import { SdpState } from '../../../../../src/telephony/embedded/media/sdp-state.js';

function offer(
  opts: { media?: string; sessionLines?: string[]; mediaLines?: string[]; c?: string } = {},
): string {
  return [
    'v=0',
    'o=peer 123 1 IN IP4 192.0.2.10',
    's=-',
    ...(opts.c === undefined ? ['c=IN IP4 192.0.2.10'] : opts.c ? [opts.c] : []),
    't=0 0',
    ...(opts.sessionLines ?? []),
    opts.media ?? 'm=audio 30000 RTP/AVP 0 8 101',
    ...(opts.mediaLines ?? ['a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15']),
  ].join('\r\n');
}

function answerText(sdp: string, local: 'sendrecv' | 'sendonly' = 'sendrecv'): string {
  const { media } = answerOffer(parseSdp(sdp), 40000, local);
  return writeSdp({ sessionId: '1', version: 1, address: '198.51.100.1', media });
}

describe('SDP offer/answer (RFC 3264)', () => {
  it.each([
    { offered: 'sendrecv', answered: 'sendrecv', held: false },
    { offered: 'sendonly', answered: 'recvonly', held: true },
    { offered: 'recvonly', answered: 'sendonly', held: false },
    { offered: 'inactive', answered: 'inactive', held: true },
  ])('answers a=$offered with a=$answered (§6.1)', ({ offered, answered, held }) => {
    const sdp = offer({ mediaLines: ['a=rtpmap:101 telephone-event/8000', `a=${offered}`] });
    const { negotiated } = answerOffer(parseSdp(sdp), 40000, 'sendrecv');
    expect(negotiated.remoteHold).toBe(held);
    expect(answerText(sdp)).toContain(`a=${answered}\r\n`);
  });

  it('takes a session-level direction when the m= line has none', () => {
    const sdp = offer({ sessionLines: ['a=sendonly'], mediaLines: [] });
    expect(answerText(sdp)).toContain('a=recvonly');
  });

  it('treats c=0.0.0.0 (RFC 2543 hold) as hold with nowhere to send', () => {
    const { negotiated } = answerOffer(parseSdp(offer({ c: 'c=IN IP4 0.0.0.0' })), 40000, 'sendrecv');
    expect(negotiated.remoteHold).toBe(true);
    expect(negotiated.remoteAddress).toBeNull();
    expect(answerText(offer({ c: 'c=IN IP4 0.0.0.0' }))).toContain('a=recvonly');
  });

  it('prefers a media-level connection address over the session-level one', () => {
    const sdp = offer({ mediaLines: ['c=IN IP4 203.0.113.7'] });
    expect(answerOffer(parseSdp(sdp), 40000, 'sendrecv').negotiated.remoteAddress).toBe('203.0.113.7');
    const onlyMedia = offer({ c: '', mediaLines: ['c=IN IP4 203.0.113.8'] });
    expect(answerOffer(parseSdp(onlyMedia), 40000, 'sendrecv').negotiated.remoteAddress).toBe('203.0.113.8');
  });

  it.each([
    { formats: '0 8 101', codec: 'PCMU', pt: 0 },
    { formats: '8 0 101', codec: 'PCMA', pt: 8 },
    { formats: '18 9 8 101', codec: 'PCMA', pt: 8 },
  ])('picks the offerer’s first G.711 codec from [$formats]', ({ formats, codec, pt }) => {
    const sdp = offer({
      media: `m=audio 30000 RTP/AVP ${formats}`,
      mediaLines: ['a=rtpmap:101 telephone-event/8000'],
    });
    const { negotiated } = answerOffer(parseSdp(sdp), 40000, 'sendrecv');
    expect(negotiated).toMatchObject({ codec, payloadType: pt, dtmfPayloadType: 101, remotePort: 30000 });
    expect(answerText(sdp)).toContain(`m=audio 40000 RTP/AVP ${pt} 101\r\n`);
  });

  it('honours the peer’s telephone-event payload type and fmtp', () => {
    const sdp = offer({
      media: 'm=audio 30000 RTP/AVP 8 96',
      mediaLines: ['a=rtpmap:96 telephone-event/8000', 'a=fmtp:96 0-16', 'a=ptime:30'],
    });
    const { negotiated } = answerOffer(parseSdp(sdp), 40000, 'sendrecv');
    expect(negotiated.dtmfPayloadType).toBe(96);
    expect(negotiated.remotePtimeMs).toBe(30);
    const text = answerText(sdp);
    expect(text).toContain('a=rtpmap:96 telephone-event/8000');
    expect(text).toContain('a=fmtp:96 0-16');
    expect(text).toContain('a=ptime:20');
  });

  it('accepts a dynamic payload type mapped to PCMU by rtpmap', () => {
    const sdp = offer({ media: 'm=audio 30000 RTP/AVP 97', mediaLines: ['a=rtpmap:97 pcmu/8000'] });
    expect(answerOffer(parseSdp(sdp), 40000, 'sendrecv').negotiated).toMatchObject({
      codec: 'PCMU',
      payloadType: 97,
    });
  });

  it('answers without telephone-event when none was offered', () => {
    const sdp = offer({ media: 'm=audio 30000 RTP/AVP 0', mediaLines: [] });
    expect(answerOffer(parseSdp(sdp), 40000, 'sendrecv').negotiated.dtmfPayloadType).toBeNull();
    expect(answerText(sdp)).toContain('m=audio 40000 RTP/AVP 0\r\n');
  });

  it('keeps the m= line count and rejects other streams with port 0 (§6)', () => {
    const sdp = [offer(), 'm=video 30002 RTP/AVP 96', 'a=rtpmap:96 H264/90000'].join('\r\n');
    const text = answerText(sdp);
    expect(text).toContain('m=audio 40000 RTP/AVP 0 101');
    expect(text).toContain('m=video 0 RTP/AVP 96');
    expect(text).not.toContain('H264');
  });

  it.each([
    { name: 'only G.729 and GSM', media: 'm=audio 30000 RTP/AVP 18 3', lines: [] },
    { name: 'SRTP profile', media: 'm=audio 30000 RTP/SAVP 0 8', lines: [] },
    { name: 'a rejected audio stream', media: 'm=audio 0 RTP/AVP 0', lines: [] },
    { name: 'PCMU at 16 kHz', media: 'm=audio 30000 RTP/AVP 96', lines: ['a=rtpmap:96 PCMU/16000'] },
  ])('refuses an offer with no common codec: $name', ({ media, lines }) => {
    const sdp = offer({ media, mediaLines: lines });
    expect(() => answerOffer(parseSdp(sdp), 40000, 'sendrecv')).toThrow(MediaNegotiationError);
    expect(() => answerOffer(parseSdp(sdp), 40000, 'sendrecv')).toThrow(
      /no codec in common.*expected m=audio RTP\/AVP with PCMU/,
    );
  });

  it('refuses text that is not SDP, naming the line', () => {
    expect(() => parseSdp('hello')).toThrow(/"hello".*expected "v=0"/);
    expect(() => parseSdp('v=0\r\nc=IN IP9 x\r\n')).toThrow(/c= line/);
  });

  it('parses LF-only SDP and multicast TTL suffixes', () => {
    const parsed = parseSdp('v=0\nc=IN IP4 224.2.1.1/127\nm=audio 5004 RTP/AVP 0\n');
    expect(parsed.connection?.address).toBe('224.2.1.1');
    expect(parsed.media[0]?.formats).toEqual(['0']);
  });

  it('reads an answer to our offer, and refuses one without a codec we offered', () => {
    const answer = offer({
      media: 'm=audio 31000 RTP/AVP 8 101',
      mediaLines: ['a=rtpmap:101 telephone-event/8000'],
    });
    expect(readAnswer(parseSdp(answer))).toMatchObject({
      codec: 'PCMA',
      remotePort: 31000,
      dtmfPayloadType: 101,
    });
    expect(() => readAnswer(parseSdp(offer({ media: 'm=audio 31000 RTP/AVP 18', mediaLines: [] })))).toThrow(
      MediaNegotiationError,
    );
  });

  it('bumps the o= version only when our description changes (§8)', () => {
    const state = new SdpState('198.51.100.1', 40000, '77');
    const version = (sdp: string): string => (/^o=\S+ 77 (\d+)/m.exec(sdp) as RegExpExecArray)[1] as string;
    const first = state.answerOffer(offer(), 'sendrecv').sdp;
    const same = state.answerOffer(offer(), 'sendrecv').sdp;
    const held = state.answerOffer(offer({ mediaLines: ['a=sendonly'] }), 'sendrecv').sdp;
    expect(version(first)).toBe('1');
    expect(version(same)).toBe('1');
    expect(version(held)).toBe('2');
    expect(state.createOffer('sendonly')).toMatch(/m=audio 40000 RTP\/AVP 0 8 101\r\n[\s\S]*a=sendonly/);
  });
});
