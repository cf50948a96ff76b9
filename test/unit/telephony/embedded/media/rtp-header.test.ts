import { describe, expect, it } from 'vitest';
import { RtpPacket } from 'rtp.js/packets';
import {
  emptyHeader,
  readRtpHeader,
  RTP_HEADER_BYTES,
  writeRtpHeader,
} from '../../../../../src/telephony/embedded/media/rtp-header.js';

/** A packet with `csrcs` CSRC words, an extension of `extWords` words and `padding` bytes of padding. */
function packet(payload: number[], csrcs = 0, extWords = -1, padding = 0): Uint8Array {
  const ext = extWords >= 0 ? 4 + extWords * 4 : 0;
  const buf = new Uint8Array(RTP_HEADER_BYTES + csrcs * 4 + ext + payload.length + padding);
  writeRtpHeader(buf, 8, true, 0xfffe, 0xfedcba98, 0x12345678);
  buf[0] = (buf[0] as number) | csrcs | (extWords >= 0 ? 0x10 : 0) | (padding > 0 ? 0x20 : 0);
  const extAt = RTP_HEADER_BYTES + csrcs * 4;
  if (extWords >= 0) buf[extAt + 3] = extWords;
  buf.set(payload, extAt + ext);
  if (padding > 0) buf[buf.length - 1] = padding;
  return buf;
}

/** `buf` with byte `at` (negative: from the end) set to `value`. */
function patched(buf: Uint8Array, at: number, value: number): Uint8Array {
  buf[at < 0 ? buf.length + at : at] = value;
  return buf;
}

describe('RTP fixed header (RFC 3550 §5.1)', () => {
  it('reads back what it writes, as rtp.js reads it', () => {
    const buf = packet([1, 2, 3]);
    const h = emptyHeader();
    expect(readRtpHeader(buf, buf.length, h)).toBe(true);
    const ref = new RtpPacket(new DataView(buf.buffer, buf.byteOffset, buf.byteLength));
    expect(h).toEqual({
      payloadType: ref.getPayloadType(),
      marker: ref.getMarker(),
      sequence: ref.getSequenceNumber(),
      timestamp: ref.getTimestamp(),
      ssrc: ref.getSsrc(),
      payloadOffset: RTP_HEADER_BYTES,
      payloadLength: 3,
    });
    expect(h).toMatchObject({ payloadType: 8, marker: true, sequence: 0xfffe, timestamp: 0xfedcba98 });
  });

  it('finds the payload after CSRCs and an extension, and before padding', () => {
    const buf = packet([9, 9, 9, 9], 2, 1, 3);
    const h = emptyHeader();
    expect(readRtpHeader(buf, buf.length, h)).toBe(true);
    expect(h.payloadOffset).toBe(RTP_HEADER_BYTES + 8 + 8);
    expect(h.payloadLength).toBe(4);
    expect([...buf.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength)]).toEqual([9, 9, 9, 9]);
  });

  it.each([
    ['shorter than the fixed header', packet([]).subarray(0, 11)],
    ['version 1', patched(packet([1]), 0, 0x40)],
    ['an RTCP packet type on the same port (RFC 5761 §4)', patched(packet([1]), 1, 200)],
    ['an extension running past the end', packet([], 0, 4).subarray(0, RTP_HEADER_BYTES + 4)],
    ['padding longer than the payload', patched(packet([1], 0, -1, 1), -1, 200)],
  ])('refuses %s', (_name, buf) => {
    expect(readRtpHeader(buf, buf.length, emptyHeader())).toBe(false);
  });
});
