/**
 * Acceptance on the embedded backend: whole-call recording (acceptance/call-recording-flow.ts): two
 * channels, consent prompt, paused span silent, S3 upload, recording-ready webhook and trigger.
 * Port block: 50000-50499 (baresip 50010-50059, s3rver 50070, admin API 50090, server RTP 50100-50499).
 */
import { embeddedBackend } from './acceptance/acceptance-server.js';
import { callRecordingFlow } from './acceptance/call-recording-flow.js';

callRecordingFlow({ base: 50000, label: 'embedded', backend: () => embeddedBackend });
