/**
 * A tiny reader for classic libpcap files (not pcapng) holding IPv4 UDP over Ethernet, Linux cooked
 * capture or raw IP: enough to replay the RTP in sipp's pcaps (/usr/share/sip-tester/*.pcap).
 */
import { readFileSync } from 'node:fs';

export interface UdpDatagram {
  /** Capture time in ms since the first packet. */
  timeMs: number;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

export function readPcapUdp(path: string): UdpDatagram[] {
  const buf = readFileSync(path);
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) {
    throw new Error(`${path}: not a classic pcap file`);
  }
  const nano = (le ? magic : buf.readUInt32BE(0)) === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20);
  const out: UdpDatagram[] = [];
  let first: number | null = null;
  for (let off = 24; off + 16 <= buf.length;) {
    const time = u32(off) * 1000 + u32(off + 4) / (nano ? 1e6 : 1e3);
    const caplen = u32(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    const ip = ipPayload(frame, linkType);
    if (!ip || ip[0]! >> 4 !== 4 || ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0]! & 0x0f) * 4);
    const length = udp.readUInt16BE(4);
    first ??= time;
    out.push({
      timeMs: time - first,
      srcPort: udp.readUInt16BE(0),
      dstPort: udp.readUInt16BE(2),
      payload: Buffer.from(udp.subarray(8, Math.min(length, udp.length))),
    });
  }
  return out;
}

function ipPayload(frame: Buffer, linkType: number): Buffer | null {
  switch (linkType) {
    case 1: {
      // Ethernet, possibly one 802.1Q tag.
      let type = frame.readUInt16BE(12);
      let at = 14;
      if (type === 0x8100) {
        type = frame.readUInt16BE(16);
        at = 18;
      }
      return type === 0x0800 ? frame.subarray(at) : null;
    }
    case 113: // Linux cooked capture
      return frame.readUInt16BE(14) === 0x0800 ? frame.subarray(16) : null;
    case 101: // raw IP
    case 228:
      return frame;
    default:
      return null;
  }
}
