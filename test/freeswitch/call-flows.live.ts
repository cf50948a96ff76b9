/**
 * The call-flow acceptance tests of the embedded backend (test/e2e/calls/acceptance), run unchanged
 * through `startServer` with `telephony.backend: freeswitch` against live drachtio-server + FreeSWITCH:
 * warm transfer (whisper heard by the target only, both hear each other once bridged, decline with 2
 * returns the caller), voicemail (caller audio recorded, row, email with link at a real SMTP server, link
 * serves the WAV), outbound call with IVR digits checked in order by a sipp UAS, and the cold transfers
 * (REFER accepted, REFER declined → bridge, ring group in order). Skipped, like the other
 * live files, when DRACHTIO_* / FREESWITCH_* are not set.
 *
 * FreeSWITCH and Callwright share a machine here, so the shared folder has the same path for both; the
 * server's data folder is made inside it because FreeSWITCH plays the cached speech and writes the
 * voicemail recordings there. Port blocks (peers, admin API; above FreeSWITCH's RTP range):
 * 45000-45299 warm transfer, 45300-45599 voicemail, 45600-45899 outbound IVR, 45900-45999 cold
 * transfer (REFER, 603 → bridge, ring group), 47000-47299 spoken intent (pocketsphinx hears the
 * caller through mod_audio_fork; the intent fires a warm transfer; a spoken yes/no takes its branch),
 * 47300-47799 llm agent (tool call with a filler, a declined transfer, barge-in cutting its history).
 */
import { describe } from 'vitest';
import type { AcceptanceBackend } from '../e2e/calls/acceptance/acceptance-server.js';
import { coldTransferFlow } from '../e2e/calls/acceptance/cold-transfer-flow.js';
import { outboundIvrFlow } from '../e2e/calls/acceptance/outbound-ivr-flow.js';
import { voicemailFlow } from '../e2e/calls/acceptance/voicemail-flow.js';
import { warmTransferFlow } from '../e2e/calls/acceptance/warm-transfer-flow.js';
import { spokenIntentFlow } from '../e2e/calls/acceptance/spoken-intent-flow.js';
import { llmAgentFlow } from '../e2e/calls/acceptance/llm-agent-flow.js';
import { liveEnv } from './live-env.js';
import { freeswitchBackend } from './live-backend.js';

const env = liveEnv();

describe.skipIf(!env)(
  'call flows on the freeswitch backend against live drachtio-server + FreeSWITCH',
  () => {
    const backend = (): AcceptanceBackend => freeswitchBackend(env!);
    warmTransferFlow({ base: 45000, label: 'freeswitch', backend });
    voicemailFlow({ base: 45300, label: 'freeswitch', backend });
    outboundIvrFlow({ base: 45600, label: 'freeswitch', backend });
    coldTransferFlow({ base: 45900, label: 'freeswitch', backend });
    spokenIntentFlow({ base: 47000, label: 'freeswitch', backend });
    llmAgentFlow({ base: 47300, label: 'freeswitch', backend });
  },
);
