import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AcceptanceBackend } from '../e2e/calls/acceptance/acceptance-server.js';
import { liveSettings, type LiveEnv } from './live-env.js';

/**
 * The freeswitch backend on the live daemons, as the acceptance server's config layer. FreeSWITCH and
 * Callwright share a machine here, so the shared folder has the same path for both; the server's data
 * folder is made inside it because FreeSWITCH plays the cached speech and writes recordings there.
 */
export function freeswitchBackend(e: LiveEnv): AcceptanceBackend {
  const shared = path.resolve(e.sharedLocal);
  mkdirSync(shared, { recursive: true });
  const settings = liveSettings(e, 'live');
  return {
    name: 'freeswitch',
    config: () => ({
      telephony: { backend: 'freeswitch' },
      freeswitch: { ...settings, shared_dir: { local: shared, remote: e.sharedRemote } },
    }),
    dataParent: shared,
    sipTarget: () => e.drachtioSip,
  };
}
