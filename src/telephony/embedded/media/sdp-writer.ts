import type { Direction, SdpRtpMap } from './sdp-types.js';

export interface OutgoingMedia {
  type: string;
  /** 0 rejects the stream (RFC 3264 §6). */
  port: number;
  proto: string;
  formats: string[];
  rtpmaps?: SdpRtpMap[];
  fmtps?: Array<[number, string]>;
  ptimeMs?: number;
  direction?: Direction;
}

export interface OutgoingSdp {
  sessionId: string;
  version: number;
  /** Address in o= and c= lines. */
  address: string;
  media: OutgoingMedia[];
}

/** Serialises a description with CRLF line ends (RFC 4566 §5). */
export function writeSdp(sdp: OutgoingSdp): string {
  const addrType = sdp.address.includes(':') ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=callwright ${sdp.sessionId} ${sdp.version} IN ${addrType} ${sdp.address}`,
    's=callwright',
    `c=IN ${addrType} ${sdp.address}`,
    't=0 0',
  ];
  for (const m of sdp.media) {
    lines.push(`m=${m.type} ${m.port} ${m.proto} ${m.formats.join(' ')}`);
    if (m.port === 0) continue;
    for (const r of m.rtpmaps ?? []) {
      lines.push(
        `a=rtpmap:${r.payloadType} ${r.encoding}/${r.clockRate}${r.channels ? `/${r.channels}` : ''}`,
      );
    }
    for (const [pt, params] of m.fmtps ?? []) lines.push(`a=fmtp:${pt} ${params}`);
    if (m.ptimeMs) lines.push(`a=ptime:${m.ptimeMs}`);
    if (m.direction) lines.push(`a=${m.direction}`);
  }
  return lines.join('\r\n') + '\r\n';
}
