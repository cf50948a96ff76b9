import type { G711Codec } from './g711.js';
import { MediaNegotiationError } from './media-session.js';
import type { Direction, SdpMedia, SdpRtpMap, SessionDescription } from './sdp-types.js';
import type { OutgoingMedia } from './sdp-writer.js';

/** What one offer/answer exchange settled for the audio stream. */
export interface NegotiatedAudio {
  codec: G711Codec;
  payloadType: number;
  /** RFC 4733 payload type the peer uses for telephone-event; null when it offered none. */
  dtmfPayloadType: number | null;
  /** Where to send RTP; null when the peer gave none (port 0, c=0.0.0.0 hold, RFC 3264 §8.4). */
  remoteAddress: string | null;
  remotePort: number;
  /** Direction as the peer declared it, from its own point of view. */
  remoteDirection: Direction;
  /** The peer put us on hold: sendonly/inactive, or the RFC 2543 c=0.0.0.0 form. */
  remoteHold: boolean;
  remotePtimeMs: number;
}

const DEFAULT_DTMF_PT = 101;
const OUR_PTIME_MS = 20;
const AUDIO_PROTO = 'RTP/AVP';

/** Which G.711 codec a payload type means in this m= line; static types need no rtpmap (RFC 3551 §6). */
function codecOf(media: SdpMedia, payloadType: number): G711Codec | null {
  const map = media.rtpmaps.get(payloadType);
  if (map) {
    if (map.clockRate !== 8000 || (map.channels ?? 1) !== 1) return null;
    return map.encoding === 'PCMU' || map.encoding === 'PCMA' ? map.encoding : null;
  }
  if (payloadType === 0) return 'PCMU';
  if (payloadType === 8) return 'PCMA';
  return null;
}

function telephoneEventOf(media: SdpMedia): number | null {
  for (const map of media.rtpmaps.values()) {
    if (map.encoding === 'TELEPHONE-EVENT' && map.clockRate === 8000) return map.payloadType;
  }
  return null;
}

/** RFC 3264 §6.1: the answer's direction mirrors the offer's, narrowed by what we want ourselves. */
export function answerDirection(offered: Direction, local: Direction): Direction {
  const peerSends = offered === 'sendrecv' || offered === 'sendonly';
  const peerReceives = offered === 'sendrecv' || offered === 'recvonly';
  const weSend = peerReceives && (local === 'sendrecv' || local === 'sendonly');
  const weReceive = peerSends && (local === 'sendrecv' || local === 'recvonly');
  if (weSend && weReceive) return 'sendrecv';
  if (weSend) return 'sendonly';
  if (weReceive) return 'recvonly';
  return 'inactive';
}

function isUsableAudio(m: SdpMedia): boolean {
  return m.type === 'audio' && m.port !== 0 && m.proto.toUpperCase() === AUDIO_PROTO;
}

function describeOffer(session: SessionDescription): string {
  const audio = session.media.filter((m) => m.type === 'audio');
  if (audio.length === 0) return 'no m=audio line';
  return audio
    .map((m) => {
      const names = m.formats.map((f) => m.rtpmaps.get(Number(f))?.encoding ?? f);
      return `m=audio ${m.port} ${m.proto} [${names.join(', ')}]`;
    })
    .join('; ');
}

/** Reads the parts of one audio m= line that both offers and answers settle. */
function settle(session: SessionDescription, media: SdpMedia, codec: G711Codec, pt: number): NegotiatedAudio {
  const connection = media.connection ?? session.connection;
  const address = connection?.address ?? null;
  const nullAddress = address === null || address === '0.0.0.0' || address === '::';
  const declared = media.direction ?? session.direction ?? 'sendrecv';
  const remoteHold = declared === 'sendonly' || declared === 'inactive' || (nullAddress && media.port !== 0);
  return {
    codec,
    payloadType: pt,
    dtmfPayloadType: telephoneEventOf(media),
    remoteAddress: nullAddress ? null : address,
    remotePort: media.port,
    remoteDirection: nullAddress && declared === 'sendrecv' ? 'sendonly' : declared,
    remoteHold,
    remotePtimeMs: media.ptimeMs ?? 20,
  };
}

export interface OfferAnswerResult {
  negotiated: NegotiatedAudio;
  /** One entry per offered m= line, in order (RFC 3264 §6: the answer keeps the m= line count). */
  media: OutgoingMedia[];
}

/**
 * Answers an offer: the first audio stream whose formats include PCMU or PCMA is accepted with the
 * offerer's first such codec (its preference, RFC 3264 §6.1) plus telephone-event under the offerer's
 * payload type; every other stream is rejected with port 0.
 */
export function answerOffer(
  offer: SessionDescription,
  localPort: number,
  local: Direction,
): OfferAnswerResult {
  let chosen: { index: number; codec: G711Codec; pt: number } | null = null;
  offer.media.forEach((m, index) => {
    if (chosen || !isUsableAudio(m)) return;
    for (const f of m.formats) {
      const codec = codecOf(m, Number(f));
      if (codec) {
        chosen = { index, codec, pt: Number(f) };
        return;
      }
    }
  });
  if (!chosen) {
    throw new MediaNegotiationError(
      `SDP offer has no codec in common: got ${describeOffer(offer)}, expected m=audio RTP/AVP with PCMU (0) or PCMA (8)`,
    );
  }
  const { index, codec, pt } = chosen;
  const audio = offer.media[index] as SdpMedia;
  const negotiated = settle(offer, audio, codec, pt);
  const offeredDirection = negotiated.remoteDirection;
  const media = offer.media.map((m, i): OutgoingMedia => {
    if (i !== index) return { type: m.type, port: 0, proto: m.proto, formats: m.formats.slice(0, 1) };
    return audioMedia(
      localPort,
      codec,
      pt,
      negotiated.dtmfPayloadType,
      answerDirection(offeredDirection, local),
      audio,
    );
  });
  return { negotiated, media };
}

function audioMedia(
  port: number,
  codec: G711Codec,
  pt: number,
  dtmfPt: number | null,
  direction: Direction,
  offered?: SdpMedia,
): OutgoingMedia {
  const formats = [String(pt)];
  const rtpmaps: SdpRtpMap[] = [{ payloadType: pt, encoding: codec, clockRate: 8000 }];
  const fmtps: Array<[number, string]> = [];
  if (dtmfPt !== null) {
    formats.push(String(dtmfPt));
    rtpmaps.push({ payloadType: dtmfPt, encoding: 'telephone-event', clockRate: 8000 });
    fmtps.push([dtmfPt, offered?.fmtps.get(dtmfPt) ?? '0-16']);
  }
  return {
    type: 'audio',
    port,
    proto: AUDIO_PROTO,
    formats,
    rtpmaps,
    fmtps,
    ptimeMs: OUR_PTIME_MS,
    direction,
  };
}

/** Our offer: PCMU, PCMA and telephone-event (RFC 4733 §7.1.1 events 0-16). */
export function offerMedia(port: number, direction: Direction): OutgoingMedia {
  return {
    type: 'audio',
    port,
    proto: AUDIO_PROTO,
    formats: ['0', '8', String(DEFAULT_DTMF_PT)],
    rtpmaps: [
      { payloadType: 0, encoding: 'PCMU', clockRate: 8000 },
      { payloadType: 8, encoding: 'PCMA', clockRate: 8000 },
      { payloadType: DEFAULT_DTMF_PT, encoding: 'telephone-event', clockRate: 8000 },
    ],
    fmtps: [[DEFAULT_DTMF_PT, '0-16']],
    ptimeMs: OUR_PTIME_MS,
    direction,
  };
}

/** Applies the answer to our offer: its first accepted audio codec must be one we offered. */
export function readAnswer(answer: SessionDescription): NegotiatedAudio {
  const audio = answer.media.find(isUsableAudio);
  if (!audio) {
    throw new MediaNegotiationError(
      `SDP answer accepts no audio stream: got ${describeOffer(answer)}, expected m=audio with a non-zero port`,
    );
  }
  for (const f of audio.formats) {
    const codec = codecOf(audio, Number(f));
    if (codec) return settle(answer, audio, codec, Number(f));
  }
  throw new MediaNegotiationError(
    `SDP answer has no codec we offered: got ${describeOffer(answer)}, expected PCMU (0) or PCMA (8)`,
  );
}
