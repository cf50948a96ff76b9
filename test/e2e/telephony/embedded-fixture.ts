/**
 * Starts a real EmbeddedTelephony (SIP on 127.0.0.1, port 0) with the real media engine on a port range
 * owned by the calling test file, so parallel files never share ports.
 */
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG_FILE, merge, validateConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/logging/logger.js';
import { EmbeddedTelephony } from '../../../src/telephony/embedded/embedded-telephony.js';
import { createMediaEngine } from '../../../src/telephony/embedded/media/index.js';
import type { MediaEngine } from '../../../src/telephony/embedded/media/media-session.js';
import type { TelephonyStats } from '../../../src/telephony/port.js';

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
 * Port plan per test file: `base` .. `base+99` for sipp/baresip SIP ports, `base+100` .. `base+499` RTP.
 */
export async function startEmbedded(
  base: number,
  overrides: Record<string, unknown> = {},
): Promise<EmbeddedFixture> {
  const defaults = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  const config = validateConfig(
    merge(
      merge(defaults, {
        log: { level: process.env.TEST_LOG_LEVEL ?? 'silent' },
        sip: { port: 0, address: '127.0.0.1', t1_ms: 100, t2_ms: 800, t4_ms: 1000 },
        media: {
          address: '127.0.0.1',
          advertised_address: '127.0.0.1',
          rtp_port_min: base + 100,
          rtp_port_max: base + 499,
        },
      }),
      overrides,
    ),
  );
  const logger = createLogger(config.log);
  const media = createMediaEngine(config.media, { logger });
  const telephony = new EmbeddedTelephony({ sip: config.sip, media, logger });
  await telephony.start();
  return {
    telephony,
    media,
    config,
    target: `127.0.0.1:${telephony.port}`,
    async stop() {
      await telephony.stop();
      await media.close();
    },
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
