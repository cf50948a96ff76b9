/**
 * Whole-call recording on the freeswitch backend against live drachtio-server + FreeSWITCH: the
 * acceptance flow of the embedded backend (test/e2e/calls/acceptance/call-recording-flow.ts) run
 * unchanged: `uuid_record` with RECORD_STEREO puts the caller's 440 Hz on the left and the agent's
 * speech on the right, `uuid_record … mask` silences the paused span, the file (written by FreeSWITCH
 * in the shared folder) goes to s3rver and recording-ready reaches the webhook receiver. Skipped, like
 * the other live files, when DRACHTIO_* / FREESWITCH_* are not set.
 * Port block: 47800-47999 (baresip 47810-47859, s3rver 47870, admin API 47890).
 */
import { describe } from 'vitest';
import { callRecordingFlow } from '../e2e/calls/acceptance/call-recording-flow.js';
import { freeswitchBackend } from './live-backend.js';
import { liveEnv } from './live-env.js';

const env = liveEnv();

describe.skipIf(!env)('whole-call recording on the freeswitch backend against live daemons', () => {
  callRecordingFlow({ base: 47800, label: 'freeswitch', backend: () => freeswitchBackend(env!) });
});
