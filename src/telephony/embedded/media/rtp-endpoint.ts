import type { RemoteInfo, Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { decodeTable, encodeInto, encodeTable, SILENCE_CODE, type G711Codec } from './g711.js';
import { PlayoutBuffer } from './playout-buffer.js';
import { emptyHeader, readRtpHeader, RTP_HEADER_BYTES, writeRtpHeader } from './rtp-header.js';
import type { Direction } from './sdp-types.js';
import type { NegotiatedAudio } from './sdp-negotiation.js';
import { FRAME_SAMPLES } from './audio-source.js';
import { FRAME_MS } from './media-clock.js';
import { writeEventPayload, type TelephoneEventReceiver } from './telephone-event.js';

const POOL = 8; // send buffers in rotation: a send the kernel could not take at once still owns its buffer
const BUFFER_BYTES = RTP_HEADER_BYTES + FRAME_SAMPLES;
const ULAW = decodeTable('PCMU');
const ALAW = decodeTable('PCMA');

function sends(d: Direction): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}

function receives(d: Direction): boolean {
  return d === 'sendrecv' || d === 'recvonly';
}

/**
 * One RTP stream over one UDP socket (RFC 3550): our SSRC, sequence and timestamp; where to send
 * (the SDP address until the peer's first packet, then wherever its packets come from: symmetric RTP,
 * RFC 4961 §3, which is what gets media through NAT); G.711 encode on send; decode into the playout
 * buffer and telephone-event dispatch on receive. Packets are parsed into one reused header object and
 * written into pooled buffers, so steady-state media allocates nothing of ours.
 */
export class RtpEndpoint {
  readonly playout = new PlayoutBuffer();
  private readonly header = emptyHeader();
  private readonly pool: Buffer[] = Array.from({ length: POOL }, () => Buffer.alloc(BUFFER_BYTES));
  private poolIndex = 0;
  private readonly ssrc = randomInt(1, 0xffffffff);
  private sequence = randomInt(0, 0x10000);
  private readonly timestampBase = randomInt(0, 0xffffffff);
  private firstPacket = true;

  negotiated: NegotiatedAudio | null = null;
  private encoder: Uint8Array = encodeTable('PCMU');
  private decoder: Int16Array = ULAW;
  private silenceCode = SILENCE_CODE.PCMU;
  private payloadType = 0;
  private sendAddress: string | null = null;
  private sendPort = 0;
  private latched = false;
  private remoteSsrc = -1;
  /** We may send (negotiated direction) and know where to. */
  sendEnabled = false;
  /** The peer is expected to send to us (negotiated direction). */
  receiveExpected = false;
  /** Clock tick of the last RTP packet received (or of the last negotiation). */
  lastReceiveTick = 0;
  packetsReceived = 0;
  packetsSent = 0;

  constructor(
    private readonly socket: Socket,
    private readonly events: TelephoneEventReceiver,
    /** The media clock: its tick number is the receive time (no allocation per packet). */
    private readonly clock: { readonly tick: number },
  ) {
    socket.on('message', this.onMessage);
  }

  get codec(): G711Codec {
    return this.negotiated?.codec ?? 'PCMU';
  }

  /** Takes the outcome of an offer/answer; `direction` is ours as written in our SDP. */
  apply(n: NegotiatedAudio, direction: Direction): void {
    const moved =
      n.remoteAddress !== this.negotiated?.remoteAddress || n.remotePort !== this.negotiated?.remotePort;
    this.negotiated = n;
    this.encoder = encodeTable(n.codec);
    this.decoder = decodeTable(n.codec);
    this.silenceCode = SILENCE_CODE[n.codec];
    this.payloadType = n.payloadType;
    if (moved || !this.latched) {
      // A re-offer that moves the peer (new address after a NAT change, RFC 3264 §8.3.1) restarts latching.
      this.sendAddress = n.remoteAddress;
      this.sendPort = n.remotePort;
      this.latched = false;
      if (moved) this.playout.reset();
    }
    this.sendEnabled = sends(direction) && n.remoteAddress !== null && n.remotePort > 0;
    this.receiveExpected = receives(direction);
    this.lastReceiveTick = this.clock.tick;
  }

  private timestamp(tick: number): number {
    return (this.timestampBase + tick * FRAME_SAMPLES) >>> 0;
  }

  /** Sends one 20 ms frame of `pcm`, or digital silence when `pcm` is null. */
  sendAudio(pcm: Int16Array | null, tick: number): void {
    const buf = this.nextBuffer();
    if (pcm) encodeInto(this.encoder, pcm, buf, RTP_HEADER_BYTES, FRAME_SAMPLES);
    else buf.fill(this.silenceCode, RTP_HEADER_BYTES, BUFFER_BYTES);
    // RFC 3551 §4.1: the marker flags the first packet of a talkspurt; our stream has one, at its start.
    writeRtpHeader(buf, this.payloadType, this.firstPacket, this.sequence, this.timestamp(tick), this.ssrc);
    this.firstPacket = false;
    this.transmit(buf, BUFFER_BYTES);
  }

  /** RFC 4733 §2.3 event packet on the negotiated telephone-event payload type. */
  sendEvent(code: number, end: boolean, duration: number, marker: boolean, timestamp: number): void {
    const pt = this.negotiated?.dtmfPayloadType;
    if (pt === null || pt === undefined) return;
    const buf = this.nextBuffer();
    writeRtpHeader(buf, pt, marker, this.sequence, timestamp, this.ssrc);
    writeEventPayload(buf, RTP_HEADER_BYTES, code, end, 10, duration);
    this.transmit(buf, RTP_HEADER_BYTES + 4);
  }

  /** Timestamp of the frame at `tick`, for events that start now. */
  timestampAt(tick: number): number {
    return this.timestamp(tick);
  }

  private nextBuffer(): Buffer {
    const buf = this.pool[this.poolIndex] as Buffer;
    this.poolIndex = (this.poolIndex + 1) % POOL;
    return buf;
  }

  private transmit(buf: Buffer, length: number): void {
    this.sequence = (this.sequence + 1) & 0xffff;
    if (!this.sendAddress) return;
    this.packetsSent++;
    this.socket.send(buf, 0, length, this.sendPort, this.sendAddress);
  }

  private readonly onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    const h = this.header;
    if (!this.negotiated || !readRtpHeader(msg, msg.length, h)) return;
    const tick = this.clock.tick;
    this.lastReceiveTick = tick;
    this.packetsReceived++;
    if (!this.latched) {
      this.latched = true;
      this.sendAddress = rinfo.address;
      this.sendPort = rinfo.port;
    }
    if (h.ssrc !== this.remoteSsrc) {
      // A new source (the peer's media server changed, RFC 3550 §8.2): its timestamps start afresh.
      this.remoteSsrc = h.ssrc;
      this.playout.reset();
    }
    const pt = h.payloadType;
    if (pt === this.negotiated.dtmfPayloadType) {
      this.events.receive(msg, h.payloadOffset, h.payloadLength, h.timestamp, tick * FRAME_MS);
    } else if (pt === this.payloadType) {
      this.playout.write(h.timestamp, this.decoder, msg, h.payloadOffset, h.payloadLength);
    } else if (pt === 0 || pt === 8) {
      // A peer may switch between the static G.711 types it offered without a new offer.
      this.playout.write(h.timestamp, pt === 0 ? ULAW : ALAW, msg, h.payloadOffset, h.payloadLength);
    }
  };

  close(): void {
    this.socket.off('message', this.onMessage);
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
