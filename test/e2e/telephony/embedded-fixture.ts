/**
 * Starts a real EmbeddedTelephony (SIP on 127.0.0.1, port 0) with the real media engine on a port range
 * owned by the calling test file, so parallel files never share ports.
 */
import type { Config } from '../../../src/config/schema.js';
import type { EmbeddedTelephony } from '../../../src/telephony/embedded/embedded-telephony.js';
import type { MediaEngine } from '../../../src/telephony/embedded/media/media-session.js';
import type { TelephonyStats } from '../../../src/telephony/port.js';
import { configWith, startEmbeddedBackend } from '../../helpers/embedded-backend.js';

/** What `drained()` reports once a test has cleaned up after itself: nothing left anywhere. */
export const NOTHING_LEFT = {
  activeCalls: 0,
  activeDialogs: 0,
  transactions: 0,
  timers: 0,
  mediaSessions: 0,
};

export interface EmbeddedFixture {
  telephony: EmbeddedTelephony;
  media: MediaEngine;
  config: Config;
  /** `127.0.0.1:port` of the SIP listener. */
  target: string;
  stop(): Promise<void>;
  /** Polls until the stats say nothing is left (calls, dialogs, transactions, timers, sessions). */
  drained(timeoutMs?: number): Promise<TelephonyStats>;
}

/**
 * Loopback SIP with short timers (T1 100 ms) and RTP on `base+100` .. `base+499`: the config layer of
 * every e2e rig on the embedded backend. Peers (sipp, baresip) use `base` .. `base+99`.
 */
export function loopbackLayer(base: number): Record<string, unknown> {
  return {
    log: { level: process.env.TEST_LOG_LEVEL ?? 'silent' },
    sip: { port: 0, address: '127.0.0.1', t1_ms: 100, t2_ms: 800, t4_ms: 1000 },
    media: {
      address: '127.0.0.1',
      advertised_address: '127.0.0.1',
      rtp_port_min: base + 100,
      rtp_port_max: base + 499,
    },
  };
}

/**
 * Port plan per test file: `base` .. `base+99` for sipp/baresip SIP ports, `base+100` .. `base+499` RTP.
 */
export async function startEmbedded(
  base: number,
  overrides: Record<string, unknown> = {},
): Promise<EmbeddedFixture> {
  const config = configWith(loopbackLayer(base), overrides);
  const { telephony, media, stop } = await startEmbeddedBackend(config);
  return {
    telephony,
    media,
    config,
    target: `127.0.0.1:${telephony.port}`,
    stop,
    async drained(timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const s = telephony.stats();
        const busy =
          s.activeCalls + s.activeDialogs + (s.transactions ?? 0) + (s.timers ?? 0) + (s.mediaSessions ?? 0);
        if (busy === 0 || Date.now() > until) return s;
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}
