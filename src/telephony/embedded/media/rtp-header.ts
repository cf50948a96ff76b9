/**
 * The RTP fixed header (RFC 3550 §5.1), read and written in place. The hot path parses every packet
 * into one reused object and writes into preallocated buffers, so no packet allocates; rtp.js (which
 * builds an object graph per packet) checks this layout in the tests.
 */
export const RTP_HEADER_BYTES = 12;

export interface RtpHeader {
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payloadOffset: number;
  payloadLength: number;
}

export function emptyHeader(): RtpHeader {
  return {
    payloadType: 0,
    marker: false,
    sequence: 0,
    timestamp: 0,
    ssrc: 0,
    payloadOffset: 0,
    payloadLength: 0,
  };
}

/** Fills `out` from `buf`; false when it is not an RTP version 2 packet or its lengths do not add up. */
export function readRtpHeader(buf: Uint8Array, length: number, out: RtpHeader): boolean {
  if (length < RTP_HEADER_BYTES) return false;
  const b0 = buf[0] as number;
  if (b0 >> 6 !== 2) return false;
  const b1 = buf[1] as number;
  const payloadType = b1 & 0x7f;
  // 72-76 are RTCP packet types sharing the port (RFC 5761 §4); never audio.
  if (payloadType >= 72 && payloadType <= 76) return false;
  let offset = RTP_HEADER_BYTES + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (length < offset + 4) return false;
    const words = ((buf[offset + 2] as number) << 8) | (buf[offset + 3] as number);
    offset += 4 + words * 4;
  }
  let end = length;
  if (b0 & 0x20) end -= buf[length - 1] as number;
  if (end < offset) return false;
  out.payloadType = payloadType;
  out.marker = (b1 & 0x80) !== 0;
  out.sequence = ((buf[2] as number) << 8) | (buf[3] as number);
  out.timestamp =
    (((buf[4] as number) << 24) |
      ((buf[5] as number) << 16) |
      ((buf[6] as number) << 8) |
      (buf[7] as number)) >>>
    0;
  out.ssrc =
    (((buf[8] as number) << 24) |
      ((buf[9] as number) << 16) |
      ((buf[10] as number) << 8) |
      (buf[11] as number)) >>>
    0;
  out.payloadOffset = offset;
  out.payloadLength = end - offset;
  return true;
}

/** Writes a 12-byte header (no CSRC, no extension, no padding) at the start of `buf`. */
export function writeRtpHeader(
  buf: Uint8Array,
  payloadType: number,
  marker: boolean,
  sequence: number,
  timestamp: number,
  ssrc: number,
): void {
  buf[0] = 0x80;
  buf[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  buf[2] = (sequence >>> 8) & 0xff;
  buf[3] = sequence & 0xff;
  buf[4] = (timestamp >>> 24) & 0xff;
  buf[5] = (timestamp >>> 16) & 0xff;
  buf[6] = (timestamp >>> 8) & 0xff;
  buf[7] = timestamp & 0xff;
  buf[8] = (ssrc >>> 24) & 0xff;
  buf[9] = (ssrc >>> 16) & 0xff;
  buf[10] = (ssrc >>> 8) & 0xff;
  buf[11] = ssrc & 0xff;
}
