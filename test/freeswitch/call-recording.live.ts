/**
 * Whole-call recording on the freeswitch backend against live drachtio-server + FreeSWITCH: the
 * acceptance flow of the embedded backend (test/e2e/calls/acceptance/call-recording-flow.ts) run
 * unchanged: `uuid_record` with RECORD_STEREO puts the caller's 440 Hz on the left and the agent's
 * speech on the right, `uuid_record … mask` silences the paused span, the file (written by FreeSWITCH
 * in the shared folder) goes to s3rver and recording-ready reaches the webhook receiver. Skipped, like
 * the other live files, when DRACHTIO_* / FREESWITCH_* are not set.
 * Port block: 47800-47999 (baresip 47810-47859, s3rver 47870, admin API 47890).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe } from 'vitest';
import type { AcceptanceBackend } from '../e2e/calls/acceptance/acceptance-server.js';
import { callRecordingFlow } from '../e2e/calls/acceptance/call-recording-flow.js';
import { liveEnv, liveSettings, type LiveEnv } from './live-env.js';

const env = liveEnv();

/** The freeswitch backend on the live daemons (as in call-flows.live.ts); data inside the shared folder. */
function freeswitchBackend(e: LiveEnv): AcceptanceBackend {
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

describe.skipIf(!env)('whole-call recording on the freeswitch backend against live daemons', () => {
  callRecordingFlow({ base: 47800, label: 'freeswitch', backend: () => freeswitchBackend(env!) });
});
