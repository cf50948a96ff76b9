export { createMediaEngine, RtpMediaEngine, advertisedAddress } from './media-engine.js';
export type { MediaSettings, MediaEngineDeps, MediaEngineDetail } from './media-engine.js';
export { MediaNegotiationError } from './media-session.js';
export type { MediaEngine, MediaEngineStats, MediaSession, MediaSessionEvents } from './media-session.js';
export { RtpMediaSession } from './rtp-media-session.js';
export { AudioFileCache, decodeWav } from './audio-file-cache.js';
export { parseSdp } from './sdp-parser.js';
