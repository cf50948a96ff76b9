/**
 * The embedded backend as the server builds it, for e2e rigs and benchmarks: the default config with
 * test layers merged over it, and a started EmbeddedTelephony with its RTP media engine.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { DEFAULT_CONFIG_FILE, merge, validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/logging/logger.js';
import { EmbeddedTelephony } from '../../src/telephony/embedded/embedded-telephony.js';
import {
  createConfiguredMediaEngine,
  type RtpMediaEngine,
  type WorkerMediaEngine,
} from '../../src/telephony/embedded/media/index.js';
import type { MediaEngineDeps } from '../../src/telephony/embedded/media/media-engine.js';

/** config/default.yaml with each layer merged over it in order, validated as the server does. */
export function configWith(...layers: Array<Record<string, unknown>>): Config {
  let merged = parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')) as Record<string, unknown>;
  for (const layer of layers) merged = merge(merged, layer);
  return validateConfig(merged);
}

export interface EmbeddedBackend {
  telephony: EmbeddedTelephony;
  /** In-process, or on worker threads when `media.workers` asks (detail() and resetStats() may be awaited). */
  media: RtpMediaEngine | WorkerMediaEngine;
  /** Stops the telephony, then closes the media engine. */
  stop(): Promise<void>;
}

/** Starts the embedded backend of `config` (logger from `config.log`), with speech when given. */
export async function startEmbeddedBackend(
  config: Config,
  speech?: MediaEngineDeps['speech'],
): Promise<EmbeddedBackend> {
  const logger = createLogger(config.log);
  const media = createConfiguredMediaEngine(config.media, { logger, ...(speech ? { speech } : {}) });
  const telephony = new EmbeddedTelephony({ sip: config.sip, media, logger });
  await telephony.start();
  return {
    telephony,
    media,
    async stop() {
      await telephony.stop();
      await media.close();
    },
  };
}
