import type { Config } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import type { Telephony } from './port.js';
import { createEmbeddedTelephony } from './embedded/index.js';
import { checkFreeswitchConfig } from './freeswitch/config.js';
import type { DrachtioFactory } from './freeswitch/drachtio-types.js';
import { FreeswitchTelephony } from './freeswitch/freeswitch-telephony.js';
import { realDrachtio } from './freeswitch/real-drachtio.js';
import type { SpeechSynthesizer } from '../speech/speech-synthesizer.js';

export type { Telephony } from './port.js';

export interface TelephonyDeps {
  logger: Logger;
  /** Turns text into a cached WAV (MediaSource kind 'speech'); for freeswitch, inside its shared folder. */
  speech?: SpeechSynthesizer;
  /** drachtio-srf / drachtio-fsmrf constructors; tests pass fakes. */
  drachtio?: DrachtioFactory;
}

/** Picks the telephony backend named by `telephony.backend`; call flows only ever see the port. */
export function createTelephony(config: Config, deps: TelephonyDeps): Telephony {
  switch (config.telephony.backend) {
    case 'freeswitch': {
      checkFreeswitchConfig(config.freeswitch, config.media.hold_music);
      return new FreeswitchTelephony({
        settings: config.freeswitch,
        trunks: config.sip.trunks,
        access: config.sip,
        dids: config.sip.dids,
        ringTimeoutMs: config.sip.ring_timeout_ms,
        referNotifyTimeoutMs: config.sip.refer_notify_timeout_ms,
        holdMusic: config.media.hold_music,
        logger: deps.logger,
        drachtio: deps.drachtio ?? realDrachtio(),
        speech: deps.speech,
      });
    }
    case 'embedded':
      return createEmbeddedTelephony(config, deps);
  }
}
