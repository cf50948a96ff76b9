import { CallwrightError } from '../../errors.js';
import type { MediaSource } from '../port.js';
import type { SharedPaths } from './shared-paths.js';
import type { SpeechSynthesizer } from '../../speech/speech-synthesizer.js';

/**
 * Turns a port MediaSource into what FreeSWITCH's playback application takes: a file path in
 * FreeSWITCH's view, `tone_stream://` (teletone syntax `%(on,off,freqs)` with `L=` loops) or
 * `silence_stream://ms`.
 */
export async function playbackTarget(
  source: MediaSource,
  paths: SharedPaths,
  speech: SpeechSynthesizer | undefined,
): Promise<string> {
  switch (source.kind) {
    case 'file':
      return paths.toRemote(source.path);
    case 'speech': {
      if (!speech) throw new Error('speech: no speech synthesizer is configured for the freeswitch backend');
      const { text, voice, language } = source;
      return paths.toRemote(await speech.synthesize({ text, voice, language }));
    }
    case 'tone':
      return toneStream(source.frequencies, source.durationMs, source.onMs, source.offMs);
    case 'stream':
      // play() hands streams to the leg's segment player; what reaches here is hold music, which loops.
      throw new CallwrightError('VALIDATION', 'music: a stream plays once and cannot be hold music', [
        { field: 'music', value: 'stream', expected: 'a file, speech, tone or silence source' },
      ]);
    case 'silence':
      return `silence_stream://${Math.max(0, Math.round(source.durationMs))}`;
  }
}

export function toneStream(frequencies: number[], durationMs: number, onMs?: number, offMs?: number): string {
  if (frequencies.length === 0 || frequencies.some((f) => !(f > 0 && f < 8000))) {
    throw new Error(
      `frequencies: got ${JSON.stringify(frequencies)}, expected 1 or 2 frequencies in Hz (1-7999)`,
    );
  }
  const freqs = frequencies.map((f) => Math.round(f)).join(',');
  if (!onMs) return `tone_stream://%(${Math.round(durationMs)},0,${freqs})`;
  const off = Math.round(offMs ?? 0);
  const loops = Math.max(1, Math.ceil(durationMs / (onMs + off)));
  return `tone_stream://L=${loops};%(${Math.round(onMs)},${off},${freqs})`;
}

/** Played while a leg is on hold when no hold music is configured: a short soft beep every 4 s. */
export const DEFAULT_HOLD_TONE = 'tone_stream://%(200,3800,440)';
