/**
 * The browser phone on the embedded backend (browser-phone-flow.ts): the embedded WebSocket listener and
 * the werift WebRTC gateway, in real Chromium.
 * Port block: 56000-56099 (API, SIP and WebSocket on port 0; server RTP 56000-56099).
 */
import { browserPhoneFlow } from './browser-phone-flow.js';

browserPhoneFlow({
  label: 'embedded',
  rtp: [56000, 56099],
  config: () => ({ sip: { websocket: { enabled: true, host: '127.0.0.1', port: 0 } } }),
});
