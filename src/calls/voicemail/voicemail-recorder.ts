import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { newId } from '../../store/ids.js';
import type { CallLeg, MediaSource, RecordOutcome } from '../../telephony/port.js';
import { measureRecordingLevel, type WavLevel } from './recording-level.js';
import type { VoicemailRecord, VoicemailRepository } from './voicemail-repository.js';

/** `calls.voicemail_silence_threshold_dbfs` when the settings carry none (config/default.yaml says the same). */
export const DEFAULT_SILENCE_THRESHOLD_DBFS = -45;

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
  /** A recording whose loudest 50 ms stays below this level (dBFS) is silence and is discarded. */
  silenceThresholdDbfs?: number;
  callId?: string;
  agentId?: string;
  from: string;
  to: string;
  signal?: AbortSignal;
}

export type RecordVoicemailResult =
  | { saved: true; voicemail: VoicemailRecord; recording: RecordOutcome; level?: WavLevel }
  | { saved: false; reason: 'caller-hung-up' | 'too-short'; recording?: RecordOutcome }
  | { saved: false; reason: 'silent'; recording: RecordOutcome; level: WavLevel; thresholdDbfs: number };

/**
 * The `voicemail-discarded` call event for a recording that was made but not kept, or undefined when
 * nothing was recorded (the caller hung up before the beep).
 */
export function discardedEvent(
  result: Extract<RecordVoicemailResult, { saved: false }>,
): Record<string, unknown> | undefined {
  if (!result.recording) return undefined;
  const base = {
    reason: result.reason,
    duration_ms: result.recording.durationMs,
    end: result.recording.reason,
  };
  if (result.reason !== 'silent') return base;
  return {
    ...base,
    level_dbfs: result.level.level_dbfs,
    peak_dbfs: result.level.peak_dbfs,
    threshold_dbfs: result.thresholdDbfs,
  };
}

/**
 * Measures the finished recording (off the media thread) and says whether it is silence. A file that
 * cannot be measured is kept: losing a real message is worse than keeping an empty one.
 */
async function silenceCheck(
  file: string,
  thresholdDbfs: number,
): Promise<{ silent: boolean; level?: WavLevel }> {
  try {
    const level = await measureRecordingLevel(file);
    return { silent: level.level_dbfs < thresholdDbfs, level };
  } catch {
    return { silent: false };
  }
}

/**
 * Prompt, beep, record (max length, silence end, optional end digit), then one `voicemails` row for a
 * message long enough to be one and louder than the silence threshold. The WAV is
 * `<dir>/<voicemail id>.wav`; a silent one is deleted.
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
  const thresholdDbfs = req.silenceThresholdDbfs ?? DEFAULT_SILENCE_THRESHOLD_DBFS;
  const { silent, level } = await silenceCheck(recording.path, thresholdDbfs);
  if (silent && level) {
    await rm(recording.path, { force: true });
    return { saved: false, reason: 'silent', recording, level, thresholdDbfs };
  }
  const voicemail = await req.voicemails.create(
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
  return { saved: true, voicemail, recording, ...(level ? { level } : {}) };
}
