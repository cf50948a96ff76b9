import { createSocket, type Socket } from 'node:dgram';
import { RtpPacket } from 'rtp.js/packets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TelephoneEventReceiver,
  type ReceivedDigit,
} from '../../../../../src/telephony/embedded/media/telephone-event.js';
import type { RtpMediaEngine } from '../../../../../src/telephony/embedded/media/index.js';
import { loopbackEngine } from './media-helpers.js';

function payload(code: number, end: boolean, duration: number): Uint8Array {
  return Uint8Array.of(code, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff);
}

describe('RFC 4733 receive', () => {
  function receiver(): { rx: TelephoneEventReceiver; digits: ReceivedDigit[] } {
    const digits: ReceivedDigit[] = [];
    return { rx: new TelephoneEventReceiver((d) => digits.push(d)), digits };
  }

  it('reports an event once at its end, ignoring the retransmitted end packets (§2.5.1.4)', () => {
    const { rx, digits } = receiver();
    for (let i = 1; i <= 5; i++) rx.receive(payload(5, false, i * 160), 0, 4, 1000, i * 20);
    for (let i = 0; i < 3; i++) rx.receive(payload(5, true, 960), 0, 4, 1000, 120);
    expect(digits).toEqual([{ digit: '5', durationMs: 120 }]);
  });

  it('reports the same digit twice when pressed twice (two start timestamps)', () => {
    const { rx, digits } = receiver();
    for (const ts of [1000, 3000]) {
      rx.receive(payload(11, false, 160), 0, 4, ts, 0);
      rx.receive(payload(11, true, 800), 0, 4, ts, 0);
      rx.receive(payload(11, true, 800), 0, 4, ts, 0);
    }
    expect(digits.map((d) => d.digit)).toEqual(['#', '#']);
  });

  it('reports an event whose end packets were all lost when the next one starts', () => {
    const { rx, digits } = receiver();
    rx.receive(payload(1, false, 160), 0, 4, 1000, 0);
    rx.receive(payload(2, false, 160), 0, 4, 2000, 200);
    expect(digits.map((d) => d.digit)).toEqual(['1']);
  });

  it('reports an event whose end packets were lost after 500 ms without packets', () => {
    const { rx, digits } = receiver();
    rx.receive(payload(10, false, 160), 0, 4, 1000, 0);
    rx.poll(400);
    expect(digits).toEqual([]);
    rx.poll(520);
    expect(digits).toEqual([{ digit: '*', durationMs: 20 }]);
  });

  it('ignores short payloads and unknown events', () => {
    const { rx, digits } = receiver();
    rx.receive(Uint8Array.of(1, 0x80), 0, 2, 1, 0);
    rx.receive(payload(16, true, 160), 0, 4, 2, 0); // flash
    expect(digits).toEqual([]);
  });
});

// RTP ports of this file: 25200-25299.
describe('RFC 4733 send', () => {
  let engine: RtpMediaEngine;
  let sink: Socket;
  const packets: RtpPacket[] = [];
  beforeAll(async () => {
    engine = loopbackEngine(25200, 25299);
    sink = createSocket('udp4');
    sink.on('message', (msg) => {
      const copy = new Uint8Array(msg);
      packets.push(new RtpPacket(new DataView(copy.buffer, copy.byteOffset, copy.byteLength)));
    });
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await engine.close();
    sink.close();
  });

  it('sends start (marker), continuation and 3 end packets on one timestamp, then resumes audio', async () => {
    const session = await engine.createRtpSession();
    const port = sink.address().port;
    session.answerOffer(
      `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 8 96\r\na=rtpmap:96 telephone-event/8000\r\n`,
    );
    await session.sendDtmf('7', 100);
    await new Promise((r) => setTimeout(r, 100));
    session.close();
    const events = packets.filter((p) => p.getPayloadType() === 96);
    expect(events).toHaveLength(4 + 3);
    const body = events.map((p) => {
      const v = p.getPayload();
      return { code: v.getUint8(0), end: (v.getUint8(1) & 0x80) !== 0, duration: v.getUint16(2) };
    });
    expect(body.map((b) => b.code)).toEqual(Array(7).fill(7));
    expect(body.map((b) => b.end)).toEqual([false, false, false, false, true, true, true]);
    expect(body.map((b) => b.duration)).toEqual([160, 320, 480, 640, 800, 800, 800]);
    expect(events.map((p) => p.getMarker())).toEqual([true, false, false, false, false, false, false]);
    expect(new Set(events.map((p) => p.getTimestamp())).size).toBe(1);
    const seqs = events.map((p) => p.getSequenceNumber());
    seqs.forEach((s, i) => i > 0 && expect(s).toBe(((seqs[i - 1] as number) + 1) & 0xffff));
    // Audio frames (PCMA) before and after share the SSRC, and the event timestamp is an audio instant.
    const audio = packets.filter((p) => p.getPayloadType() === 8);
    expect(audio.length).toBeGreaterThan(0);
    expect(new Set(packets.map((p) => p.getSsrc())).size).toBe(1);
    expect(audio.every((p) => p.getPayload().byteLength === 160)).toBe(true);
    const eventTs = (events[0] as (typeof events)[number]).getTimestamp();
    const audioTs = (audio[0] as (typeof audio)[number]).getTimestamp();
    expect(Math.abs(((eventTs - audioTs) | 0) % 160)).toBe(0);
  });

  it('refuses DTMF when the peer negotiated no telephone-event, and bad digits', async () => {
    const session = await engine.createRtpSession();
    session.answerOffer(
      'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n',
    );
    await expect(session.sendDtmf('1')).rejects.toThrow(/telephone-event.*SIP INFO/);
    await expect(session.sendDtmf('1x')).rejects.toThrow(/digits 0-9/);
    session.close();
  });
});
