/** Parsed session description (RFC 4566), only what audio offer/answer needs plus raw lines. */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export const DIRECTIONS: readonly Direction[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

export interface SdpConnection {
  addrType: 'IP4' | 'IP6';
  address: string;
}

export interface SdpRtpMap {
  payloadType: number;
  encoding: string;
  clockRate: number;
  channels?: number;
}

export interface SdpMedia {
  type: string;
  port: number;
  proto: string;
  /** Formats in the order of the m= line (payload type numbers for RTP/AVP). */
  formats: string[];
  connection?: SdpConnection;
  direction?: Direction;
  rtpmaps: Map<number, SdpRtpMap>;
  fmtps: Map<number, string>;
  ptimeMs?: number;
}

export interface SessionDescription {
  origin: { username: string; sessionId: string; sessionVersion: string; address: string };
  sessionName: string;
  connection?: SdpConnection;
  /** Session-level direction attribute (RFC 4566 §6: applies to every m= line lacking its own). */
  direction?: Direction;
  media: SdpMedia[];
}
