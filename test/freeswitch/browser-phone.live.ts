/**
 * The browser phone on the freeswitch backend against live drachtio-server + FreeSWITCH: the flow the
 * embedded backend runs (test/e2e/dashboard/browser-phone-flow.ts) unchanged — Chromium's SIP.js
 * reaches drachtio-server's own WebSocket transport, FreeSWITCH answers the WebRTC offer (DTLS-SRTP),
 * the call layer checks the phone token on the INVITE.
 *
 * Needs, besides DRACHTIO_* / FREESWITCH_* (live-env.ts), DRACHTIO_WS_URL naming drachtio-server's
 * WebSocket listener (a `sip:…;transport=ws` contact, e.g. `<contact>sip:127.0.0.1:60966;transport=ws</contact>`
 * → DRACHTIO_WS_URL=ws://127.0.0.1:60966), and the built dashboard (`npm run build:ui`); FreeSWITCH's
 * drachtio_mrf profile answers `UDP/TLS/RTP/SAVPF` offers as it is (docs/telephony.md, "SIP over
 * WebSocket", says how it was run). Skipped without them.
 * Port block: 56200-56299 (admin API on port 0).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe } from 'vitest';
import { browserPhoneFlow } from '../e2e/dashboard/browser-phone-flow.js';
import { liveEnv, liveSettings, type LiveEnv } from './live-env.js';

const env = liveEnv();
const wsUrl = process.env.DRACHTIO_WS_URL;

// Read only when the flow runs (a skipped describe still collects its tests).
const shared = path.resolve(env?.sharedLocal ?? '.');

describe.skipIf(!env || !wsUrl)('browser phone on the freeswitch backend against live daemons', () => {
  browserPhoneFlow({
    label: 'freeswitch',
    // The data folder lies inside the shared one: FreeSWITCH writes the recording there.
    dataParent: shared,
    rtp: [56200, 56299],
    config: () => {
      const e = env as LiveEnv;
      mkdirSync(shared, { recursive: true });
      return {
        telephony: { backend: 'freeswitch' },
        freeswitch: { ...liveSettings(e, 'live'), shared_dir: { local: shared, remote: e.sharedRemote } },
        sip: { websocket: { enabled: true, public_url: wsUrl } },
      };
    },
  });
});
