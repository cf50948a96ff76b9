import { createSocket, type Socket } from 'node:dgram';
import path from 'node:path';
import alawmulaw from 'alawmulaw';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPcapUdp, type UdpDatagram } from '../../../../helpers/pcap.js';
import { median, readWav8kMono, segmentCorrelations } from '../../../../helpers/audio.js';
import { tempDir } from '../../../../helpers/temp.js';
import { loopbackEngine, sleep } from './media-helpers.js';
import type { RtpMediaEngine } from '../../../../../src/telephony/embedded/media/index.js';

const PCAPS = '/usr/share/sip-tester';

/** Sends the datagrams from `socket` to `port` at their capture times, against absolute deadlines. */
async function replay(socket: Socket, port: number, packets: UdpDatagram[]): Promise<void> {
  const start = performance.now();
  for (const p of packets) {
    const wait = start + p.timeMs - performance.now();
    if (wait > 1) await sleep(wait);
    socket.send(p.payload, port, '127.0.0.1');
  }
}

function offerFrom(port: number, formats: string, lines: string[]): string {
  return [
    'v=0',
    'o=sipp 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP ${formats}`,
    ...lines,
    '',
  ].join('\r\n');
}

// RTP ports of this file: 25700-25799.
describe("sipp's pcaps decoded by a media session", () => {
  let engine: RtpMediaEngine;
  let sender: Socket;
  const tmp = tempDir('callwright-pcap-');
  beforeAll(async () => {
    engine = loopbackEngine(25700, 25799);
    sender = createSocket('udp4');
    await new Promise<void>((r) => sender.bind(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await engine.close();
    sender.close();
    tmp.cleanup();
  });

  it('g711a.pcap (PCMA, 30 ms frames) is recorded as the audio the pcap carries', async () => {
    const rtp = readPcapUdp(path.join(PCAPS, 'g711a.pcap')).filter((d) => (d.payload[1]! & 0x7f) === 8);
    expect(rtp[0]?.payload.length).toBe(12 + 240); // 30 ms per packet
    const packets = rtp.slice(0, 100); // 3 s
    const session = await engine.createRtpSession();
    const answer = session.answerOffer(
      offerFrom(sender.address().port, '8 101', [
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:101 telephone-event/8000',
        'a=ptime:30',
      ]),
    );
    expect(answer).toContain('RTP/AVP 8 101');
    const out = path.join(tmp.dir, 'g711a.wav');
    const recording = session.record({ path: out, maxDurationMs: 3600 });
    await replay(sender, session.localPort, packets);
    await recording;
    session.close();
    const reference = alawmulaw.alaw.decode(Buffer.concat(packets.map((p) => p.payload.subarray(12))));
    // G.711 decoded twice the same way gives identical samples: per 250 ms segment (robust to a
    // scheduler stall on a busy machine) the recording matches the pcap's audio almost exactly.
    expect(median(segmentCorrelations(reference, readWav8kMono(out)))).toBeGreaterThan(0.99);
  });

  it('dtmf_2833_1.pcap is reported as one digit 1', async () => {
    const packets = readPcapUdp(path.join(PCAPS, 'dtmf_2833_1.pcap'));
    const session = await engine.createRtpSession();
    session.answerOffer(offerFrom(sender.address().port, '0 101', ['a=rtpmap:101 telephone-event/8000']));
    const digits: Array<{ digit: string; durationMs: number }> = [];
    session.on('dtmf', (d) => digits.push(d));
    await replay(sender, session.localPort, packets);
    await sleep(100);
    session.close();
    expect(digits).toHaveLength(1);
    expect(digits[0]?.digit).toBe('1');
    expect(digits[0]?.durationMs).toBeGreaterThan(0);
  });
});
