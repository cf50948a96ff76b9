import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { newId } from '../../store/ids.js';
import type { CallLeg, MediaSource, RecordOutcome } from '../../telephony/port.js';
import type { VoicemailRecord, VoicemailRepository } from './voicemail-repository.js';

export const DEFAULT_VOICEMAIL_PROMPT =
  'Please leave a message after the tone. Press the pound key or hang up when you are done.';

export interface RecordVoicemailRequest {
  leg: CallLeg;
  voicemails: VoicemailRepository;
  /** Folder of the WAV files (`<data.dir>/voicemail`). */
  dir: string;
  /** Played before the beep; the default prompt when absent. */
  prompt?: MediaSource;
  maxDurationMs: number;
  /** Continuous silence that ends the message (0 = never). */
  silenceTimeoutMs: number;
  /** Digits that end the message early. */
  endOnDtmf?: string;
  /** Shorter recordings (a hang-up at the beep) are not kept as voicemail. */
  minDurationMs: number;
  callId?: string;
  agentId?: string;
  from: string;
  to: string;
  signal?: AbortSignal;
}

export type RecordVoicemailResult =
  | { saved: true; voicemail: VoicemailRecord; recording: RecordOutcome }
  | { saved: false; reason: 'caller-hung-up' | 'too-short'; recording?: RecordOutcome };

/**
 * Prompt, beep, record (max length, silence end, optional end digit), then one `voicemails` row for a
 * message long enough to be one. The WAV is `<dir>/<voicemail id>.wav`.
 */
export async function recordVoicemail(req: RecordVoicemailRequest): Promise<RecordVoicemailResult> {
  const { leg } = req;
  if (!leg.active) return { saved: false, reason: 'caller-hung-up' };
  const prompt: MediaSource = req.prompt ?? { kind: 'speech', text: DEFAULT_VOICEMAIL_PROMPT };
  const played = await leg.play(prompt, req.signal ? { signal: req.signal } : {});
  if (played.status === 'hangup' || !leg.active) return { saved: false, reason: 'caller-hung-up' };
  mkdirSync(req.dir, { recursive: true });
  const id = newId('vm');
  const file = path.join(req.dir, `${id}.wav`);
  const recording = await leg.record({
    path: file,
    maxDurationMs: req.maxDurationMs,
    silenceTimeoutMs: req.silenceTimeoutMs,
    beep: true,
    ...(req.endOnDtmf ? { endOnDtmf: req.endOnDtmf } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
  });
  if (recording.durationMs < req.minDurationMs) return { saved: false, reason: 'too-short', recording };
  const voicemail = req.voicemails.create(
    {
      call_id: req.callId ?? null,
      agent_id: req.agentId ?? null,
      from_number: req.from,
      to_number: req.to,
      recording_path: recording.path,
      duration_ms: recording.durationMs,
    },
    id,
  );
  return { saved: true, voicemail, recording };
}
