import type { SpeechSettings } from '../config/schema.js';
import type { AgentSpeechSettings } from './agent-speech.js';
import type { TurnSettings } from './vad/turn-detector.js';

export type RecognizerName = NonNullable<AgentSpeechSettings['recognizer']>;
export type SynthesizerName = NonNullable<AgentSpeechSettings['synthesizer']>;

/** One agent's speech settings with the server's defaults filled in. */
export interface ResolvedSpeech {
  recognizer: RecognizerName;
  language: string;
  hints: string[];
  synthesizer: SynthesizerName;
  turn: TurnSettings;
  bargeIn: boolean;
  vadMode: number;
  onFailure: { say: string; then: 'dtmf' | 'transfer' | 'hangup'; target?: string };
}

export const DEFAULT_FAILURE_SAY =
  'Sorry, I cannot hear you right now. Please use your keypad, or stay on the line.';

export function resolveSpeech(
  server: SpeechSettings,
  agent: AgentSpeechSettings | undefined,
  agentLanguage?: string,
): ResolvedSpeech {
  const a = agent ?? {};
  const t = server.turn;
  return {
    recognizer: a.recognizer ?? server.recognizer,
    language: a.language ?? (agentLanguage || server.language),
    hints: [...(a.hints ?? [])],
    synthesizer: a.synthesizer ?? server.provider,
    turn: {
      endOfTurnMs: a.end_of_turn_ms ?? t.end_of_turn_ms,
      minSpeechMs: a.min_speech_ms ?? t.min_speech_ms,
      maxUtteranceMs: a.max_utterance_ms ?? t.max_utterance_ms,
      bargeInMinSpeechMs: a.barge_in_min_speech_ms ?? t.barge_in_min_speech_ms,
    },
    bargeIn: a.barge_in ?? t.barge_in,
    vadMode: t.vad_mode,
    onFailure: {
      say: a.on_failure?.say ?? DEFAULT_FAILURE_SAY,
      then: a.on_failure?.then ?? 'dtmf',
      ...(a.on_failure?.target ? { target: a.on_failure.target } : {}),
    },
  };
}
