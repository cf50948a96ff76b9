import { MediaNegotiationError } from './media-session.js';
import {
  DIRECTIONS,
  type Direction,
  type SdpConnection,
  type SdpMedia,
  type SessionDescription,
} from './sdp-types.js';

/**
 * A lenient RFC 4566 parser: accepts CRLF or LF, ignores lines it does not need, and refuses only what
 * makes offer/answer impossible (no v= line, an m= line that does not parse). Errors name the line.
 */
export function parseSdp(text: string): SessionDescription {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  if (lines[0] !== 'v=0') {
    throw new MediaNegotiationError(
      `SDP: got ${JSON.stringify(lines[0] ?? '')} as first line, expected "v=0" (RFC 4566 §5)`,
    );
  }
  const session: SessionDescription = {
    origin: { username: '-', sessionId: '0', sessionVersion: '0', address: '0.0.0.0' },
    sessionName: '-',
    media: [],
  };
  let media: SdpMedia | undefined;
  for (const line of lines) {
    const type = line[0];
    const value = line.slice(2);
    if (line[1] !== '=') continue;
    switch (type) {
      case 'o':
        session.origin = parseOrigin(value);
        break;
      case 's':
        session.sessionName = value;
        break;
      case 'c': {
        const c = parseConnection(value);
        if (media) media.connection = c;
        else session.connection = c;
        break;
      }
      case 'm':
        media = parseMediaLine(value);
        session.media.push(media);
        break;
      case 'a':
        parseAttribute(value, session, media);
        break;
      default:
        break;
    }
  }
  return session;
}

function parseOrigin(value: string): SessionDescription['origin'] {
  const [username = '-', sessionId = '0', sessionVersion = '0', , , address = '0.0.0.0'] = value.split(/\s+/);
  return { username, sessionId, sessionVersion, address };
}

function parseConnection(value: string): SdpConnection {
  const [net, addrType, rawAddress] = value.split(/\s+/);
  if (net !== 'IN' || (addrType !== 'IP4' && addrType !== 'IP6') || !rawAddress) {
    throw new MediaNegotiationError(
      `SDP c= line: got ${JSON.stringify(value)}, expected "IN IP4 <address>" or "IN IP6 <address>"`,
    );
  }
  // A multicast TTL suffix (224.2.1.1/127) is not an address we can send to; keep the address part.
  return { addrType, address: rawAddress.split('/')[0] as string };
}

function parseMediaLine(value: string): SdpMedia {
  const [type, portSpec, proto, ...formats] = value.split(/\s+/);
  const port = Number((portSpec ?? '').split('/')[0]);
  if (!type || !proto || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new MediaNegotiationError(
      `SDP m= line: got ${JSON.stringify(value)}, expected "<media> <port> <proto> <fmt> ..." (RFC 4566 §5.14)`,
    );
  }
  return { type, port, proto, formats, rtpmaps: new Map(), fmtps: new Map() };
}

function parseAttribute(value: string, session: SessionDescription, media: SdpMedia | undefined): void {
  const colon = value.indexOf(':');
  const name = colon < 0 ? value : value.slice(0, colon);
  const arg = colon < 0 ? '' : value.slice(colon + 1).trim();
  if ((DIRECTIONS as readonly string[]).includes(name)) {
    if (media) media.direction = name as Direction;
    else session.direction = name as Direction;
    return;
  }
  if (!media) return;
  if (name === 'rtpmap') {
    const m = /^(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(arg);
    if (!m) return;
    const payloadType = Number(m[1]);
    media.rtpmaps.set(payloadType, {
      payloadType,
      encoding: (m[2] as string).toUpperCase(),
      clockRate: Number(m[3]),
      ...(m[4] ? { channels: Number(m[4]) } : {}),
    });
  } else if (name === 'fmtp') {
    const m = /^(\d+)\s+(.*)$/.exec(arg);
    if (m) media.fmtps.set(Number(m[1]), (m[2] as string).trim());
  } else if (name === 'ptime') {
    const ptime = Number(arg);
    if (Number.isFinite(ptime) && ptime > 0) media.ptimeMs = ptime;
  }
}
