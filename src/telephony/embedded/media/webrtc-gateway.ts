/**
 * WebRTC media for browser phones: werift terminates ICE (lite), DTLS-SRTP and the browser's
 * `UDP/TLS/RTP/SAVPF` offer, answering G.711 µ-law only, and relays the decrypted RTP both ways
 * between the browser and an ordinary `MediaSession` over a loopback UDP socket. The call's session
 * so stays what it is for every SIP call (recording, recogniser taps, barge-in, bridges), and its
 * pacing thread never runs DTLS or SRTP: those stay in werift's event handlers.
 *
 *   browser ⇄ (ICE, DTLS-SRTP) werift ⇄ relay socket (plain RTP, loopback) ⇄ MediaSession
 */
import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { RTCPeerConnection, RTCRtpCodecParameters, type RTCRtpTransceiver } from 'werift';
import type { Logger } from '../../../logging/logger.js';
import { MediaNegotiationError } from './media-session.js';
import { parseSdp } from './sdp-parser.js';

export interface WebRtcSettings {
  /** Local address of our ICE host candidate (an interface address). */
  address: string;
  /** Address written in that candidate: `address`, or the public one of a 1:1 NAT (media.advertised_address). */
  advertised: string;
  /** ICE + DTLS must connect within this long after the answer, else the call fails. */
  connectTimeoutMs: number;
}

/** PCMU is static payload type 0 (RFC 3551 §6); Chromium offers it in every audio offer. */
const PCMU_PT = 0;
const RELAY_HOST = '127.0.0.1';
const GATHERING_TIMEOUT_MS = 2000;

/** True for an offer whose audio is WebRTC (ICE + DTLS-SRTP, RFC 8827/RFC 5764): a browser's. */
export function isWebRtcOffer(sdp: string): boolean {
  return /^m=audio\s+\d+\s+UDP\/TLS\/RTP\/SAVPF?\b/im.test(sdp);
}

/**
 * Keeps the ICE candidates on our media address only: werift also gathers every other interface,
 * which a browser would try in vain behind NAT or leak (RFC 8828 §5.2).
 */
function onlyCandidatesOn(sdp: string, address: string, advertised: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') || line.split(' ')[4] === address)
    .map((line) => {
      if (!line.startsWith('a=candidate:') || advertised === address) return line;
      const fields = line.split(' ');
      fields[4] = advertised;
      return fields.join(' ');
    })
    .join('\r\n');
}

/**
 * Where the ICE candidate lives: media.address, or with a wildcard bind the first interface address
 * (the advertised address when it is one of ours).
 */
export function webRtcSettings(
  media: { address: string },
  advertised: string,
  connectTimeoutMs = 15_000,
): WebRtcSettings {
  const wildcard = media.address === '0.0.0.0' || media.address === '::';
  if (!wildcard) return { address: media.address, advertised, connectTimeoutMs };
  const local = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a?.family === 'IPv4')
    .map((a) => a?.address);
  const address = local.includes(advertised)
    ? advertised
    : (Object.values(networkInterfaces())
        .flat()
        .find((a) => a?.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.1');
  return { address, advertised, connectTimeoutMs };
}

/** What the gateway hands the call: our answer for the browser, and the end of its relay. */
export interface WebRtcCall {
  /** Our SDP answer for the browser: ICE-lite host candidate, DTLS fingerprint, PCMU. */
  readonly answer: string;
  /** Plain RTP offer (RTP/AVP, PCMU) naming the relay, for `MediaSession.answerOffer`. */
  readonly relayOffer: string;
  /** Points the relay at the session's RTP port, from the session's answer to `relayOffer`. */
  connect(sessionAnswer: string): void;
  /** Called once if ICE/DTLS fails or never connects within the timeout. */
  onFailed(listener: (reason: string) => void): void;
  close(): void;
}

export class WebRtcGateway implements WebRtcCall {
  answer = '';
  relayOffer = '';
  private readonly relay = dgram.createSocket('udp4');
  private target?: { address: string; port: number };
  private transceiver?: RTCRtpTransceiver;
  private failedListener?: (reason: string) => void;
  private failure?: string;
  private connectTimer?: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly pc: RTCPeerConnection,
    private readonly settings: WebRtcSettings,
    private readonly log: Logger,
  ) {}

  /** Answers a browser's offer; rejects with MediaNegotiationError when it cannot (the INVITE gets 488). */
  static async answer(offer: string, settings: WebRtcSettings, logger: Logger): Promise<WebRtcGateway> {
    const pc = new RTCPeerConnection({
      codecs: {
        audio: [
          new RTCRtpCodecParameters({
            mimeType: 'audio/PCMU',
            clockRate: 8000,
            channels: 1,
            payloadType: PCMU_PT,
          }),
        ],
      },
      // ICE-lite (RFC 8445 §2.5): the browser runs the checks; our single host candidate answers them.
      iceLite: true,
      iceUseIpv6: false,
      iceInterfaceAddresses: { udp4: settings.address },
      iceAdditionalHostAddresses: [settings.address],
      iceFilterCandidatePair: (pair) => pair.localCandidate.host === settings.address,
    });
    const gateway = new WebRtcGateway(pc, settings, logger);
    try {
      await gateway.negotiate(offer);
    } catch (err) {
      gateway.close();
      if (err instanceof MediaNegotiationError) throw err;
      throw new MediaNegotiationError(`WebRTC offer: ${(err as Error).message}`);
    }
    return gateway;
  }

  private async negotiate(offer: string): Promise<void> {
    const pc = this.pc;
    if (!isWebRtcOffer(offer))
      throw new MediaNegotiationError('WebRTC offer: no UDP/TLS/RTP/SAVPF m=audio line');
    // Made before the offer is applied, so the offer's audio takes it: we send as well as receive
    // (a transceiver werift made for the offer would be recvonly).
    this.adopt(pc.addTransceiver('audio', { direction: 'sendrecv' }));
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    await pc.setLocalDescription(await pc.createAnswer());
    // Host candidates only: gathering takes milliseconds; what it has after the bound is what we offer.
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      const timer = setTimeout(resolve, GATHERING_TIMEOUT_MS);
      pc.iceGatheringStateChange.subscribe((state) => {
        if (state !== 'complete') return;
        clearTimeout(timer);
        resolve();
      });
    });
    const sdp = pc.localDescription?.sdp ?? '';
    if (!/^m=audio\s+[1-9]\d*\s/m.test(sdp) || !/ PCMU\/8000/.test(sdp))
      throw new MediaNegotiationError('WebRTC offer: no PCMU (G.711 µ-law) audio in common');
    this.answer = onlyCandidatesOn(sdp, this.settings.address, this.settings.advertised);
    await new Promise<void>((resolve, reject) => {
      this.relay.once('error', reject);
      this.relay.bind(0, RELAY_HOST, () => {
        this.relay.off('error', reject);
        resolve();
      });
    });
    this.relay.on('message', (packet) => this.toBrowser(packet));
    this.relay.on('error', (err) => this.log.debug({ err: err.message }, 'webrtc relay socket error'));
    const port = this.relay.address().port;
    this.relayOffer = [
      'v=0',
      `o=- ${Date.now()} 1 IN IP4 ${RELAY_HOST}`,
      's=webrtc-gateway',
      `c=IN IP4 ${RELAY_HOST}`,
      't=0 0',
      `m=audio ${port} RTP/AVP ${PCMU_PT}`,
      `a=rtpmap:${PCMU_PT} PCMU/8000`,
      'a=ptime:20',
      'a=sendrecv',
      '',
    ].join('\r\n');
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') clearTimeout(this.connectTimer);
      if (state === 'failed') this.fail('ICE/DTLS connection failed');
    });
    this.connectTimer = setTimeout(
      () => this.fail(`ICE/DTLS did not connect within ${this.settings.connectTimeoutMs} ms`),
      this.settings.connectTimeoutMs,
    );
  }

  private adopt(transceiver: RTCRtpTransceiver): void {
    this.transceiver = transceiver;
    transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        // Only the negotiated codec reaches the session; RTCP and other payloads stay here.
        if (this.closed || !this.target || rtp.header.payloadType !== PCMU_PT) return;
        this.relay.send(rtp.serialize(), this.target.port, this.target.address);
      });
    });
  }

  private toBrowser(packet: Buffer): void {
    // RTP from the session (PCMU frames; RFC 4733 events have another payload type and are not relayed).
    if (this.closed || packet.length < 12 || (packet[1]! & 0x7f) !== PCMU_PT) return;
    this.transceiver?.sender.sendRtp(packet).catch((err: unknown) => {
      this.log.debug({ err: (err as Error).message }, 'webrtc send failed');
    });
  }

  connect(sessionAnswer: string): void {
    const sdp = parseSdp(sessionAnswer);
    const media = sdp.media.find((m) => m.type === 'audio');
    const address = media?.connection?.address ?? sdp.connection?.address;
    if (!media || !address || media.port === 0)
      throw new MediaNegotiationError('WebRTC relay: the media session gave no RTP address');
    // A session bound to every interface answers 0.0.0.0-like addresses poorly for loopback: use loopback.
    this.target = { address: address === '0.0.0.0' ? RELAY_HOST : address, port: media.port };
  }

  onFailed(listener: (reason: string) => void): void {
    this.failedListener = listener;
    if (this.failure) listener(this.failure);
  }

  private fail(reason: string): void {
    if (this.closed || this.failure) return;
    this.failure = reason;
    this.log.warn({ reason }, 'browser phone media failed');
    this.failedListener?.(reason);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.connectTimer);
    try {
      this.relay.close();
    } catch {
      // never bound (the offer was refused first)
    }
    void this.pc.close().catch(() => undefined);
  }
}
