/**
 * The embedded backend's public face: build it from config (SIP + media engine + speech), or use the
 * classes directly. The call layer sets the inbound handler with `telephony.onInbound(handler)`.
 */
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../logging/logger.js';
import type { SpeechSynthesizer } from '../../speech/speech-synthesizer.js';
import type { Telephony } from '../port.js';
import { EmbeddedTelephony } from './embedded-telephony.js';
import { advertisedAddress, createConfiguredMediaEngine } from './media/index.js';
import { webRtcSettings } from './media/webrtc-gateway.js';

export { EmbeddedTelephony, type EmbeddedTelephonyDeps, type InboundHandler } from './embedded-telephony.js';
export { greetingHandler } from './greeting-handler.js';

export interface EmbeddedBuildDeps {
  logger: Logger;
  speech?: SpeechSynthesizer;
}

/** SIP stack + media engine from `config.sip` and `config.media`; stopping the backend closes both. */
export function createEmbeddedTelephony(config: Config, deps: EmbeddedBuildDeps): Telephony {
  const media = createConfiguredMediaEngine(config.media, {
    logger: deps.logger,
    ...(deps.speech ? { speech: deps.speech } : {}),
  });
  return new EmbeddedTelephony({
    sip: config.sip,
    media,
    logger: deps.logger,
    ownsMedia: true,
    webrtc: webRtcSettings(config.media, advertisedAddress(config.media)),
  });
}
