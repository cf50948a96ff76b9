import { parseSdp } from './sdp-parser.js';
import {
  answerDirection,
  answerOffer,
  offerMedia,
  readAnswer,
  type NegotiatedAudio,
} from './sdp-negotiation.js';
import type { Direction } from './sdp-types.js';
import { writeSdp, type OutgoingMedia } from './sdp-writer.js';

/**
 * Our side of offer/answer for one session: the o= line identity and version (RFC 3264 §8: the version
 * goes up by one whenever our description changes and stays put when it does not) and the direction
 * we last offered, which narrows what the answer can settle.
 */
export class SdpState {
  private version = 0;
  private lastMedia = '';
  private offeredDirection: Direction = 'sendrecv';

  constructor(
    private readonly address: string,
    private readonly port: number,
    private readonly sessionId: string,
  ) {}

  createOffer(intent: Direction): string {
    this.offeredDirection = intent;
    return this.write([offerMedia(this.port, intent)]);
  }

  applyAnswer(text: string): { negotiated: NegotiatedAudio; direction: Direction } {
    const negotiated = readAnswer(parseSdp(text));
    return { negotiated, direction: answerDirection(negotiated.remoteDirection, this.offeredDirection) };
  }

  answerOffer(
    text: string,
    intent: Direction,
  ): { negotiated: NegotiatedAudio; direction: Direction; sdp: string } {
    const { negotiated, media } = answerOffer(parseSdp(text), this.port, intent);
    const direction = answerDirection(negotiated.remoteDirection, intent);
    return { negotiated, direction, sdp: this.write(media) };
  }

  private write(media: OutgoingMedia[]): string {
    const signature = JSON.stringify(media);
    if (signature !== this.lastMedia) {
      this.version++;
      this.lastMedia = signature;
    }
    return writeSdp({ sessionId: this.sessionId, version: this.version, address: this.address, media });
  }
}
