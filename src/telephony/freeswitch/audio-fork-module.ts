import { CallwrightError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { withTimeout } from '../../util/with-timeout.js';
import type { FsMediaServer } from './drachtio-types.js';

const HOW_TO_GET_IT =
  'it comes from drachtio-freeswitch-modules (MIT) and is in the drachtio/drachtio-freeswitch-mrf image; ' +
  'docs/telephony.md ("Audio streaming") says how to build and install it';

/**
 * Makes sure FreeSWITCH has mod_audio_fork, which listening on this backend needs. Stock FreeSWITCH
 * configs do not autoload it, so a server without it gets `load mod_audio_fork` over the event socket;
 * when that fails too, the error says what is missing and where it comes from.
 */
export async function ensureAudioForkModule(
  ms: FsMediaServer,
  serverName: string,
  timeoutMs: number,
  log: Logger,
): Promise<void> {
  const exists = await withTimeout(ms.api('module_exists mod_audio_fork'), timeoutMs, 'module_exists');
  if (String(exists).trim() === 'true') return;
  const answer = String(
    await withTimeout(ms.api('load mod_audio_fork'), timeoutMs, 'load mod_audio_fork'),
  ).trim();
  const loaded = String(
    await withTimeout(ms.api('module_exists mod_audio_fork'), timeoutMs, 'module_exists'),
  ).trim();
  if (loaded === 'true') {
    log.info({ mediaServer: serverName }, 'loaded mod_audio_fork');
    return;
  }
  throw new CallwrightError(
    'UNAVAILABLE',
    `listen: FreeSWITCH ${serverName} has no mod_audio_fork and could not load it ` +
      `(load mod_audio_fork answered ${JSON.stringify(answer)}); the freeswitch backend streams call audio ` +
      `through that module: ${HOW_TO_GET_IT}`,
  );
}
