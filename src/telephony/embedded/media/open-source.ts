import { CallwrightError } from '../../../errors.js';
import type { MediaSource } from '../../port.js';
import type { SpeechSynthesizer } from '../../../speech/speech-synthesizer.js';
import type { AudioFileCache } from './audio-file-cache.js';
import { PcmSource, SilenceSource, ToneSource, type AudioSource } from './audio-source.js';
import { StreamSource } from './stream-source.js';

const MAX_TONE_MS = 24 * 3600 * 1000;

/** Turns a port MediaSource into frames: files and speech through the decoded-PCM cache. */
export async function openSource(
  source: MediaSource,
  deps: { files: AudioFileCache; speech?: SpeechSynthesizer },
): Promise<AudioSource> {
  switch (source.kind) {
    case 'file':
      return new PcmSource(await deps.files.load(source.path));
    case 'speech': {
      if (!deps.speech) {
        throw new CallwrightError(
          'UNAVAILABLE',
          'play: speech was requested but no speech provider is configured',
        );
      }
      const request = { text: source.text, ...(source.voice ? { voice: source.voice } : {}) };
      const path = await deps.speech.synthesize(
        source.language ? { ...request, language: source.language } : request,
      );
      return new PcmSource(await deps.files.load(path));
    }
    case 'tone': {
      const bad = source.frequencies.find((f) => !(f > 0 && f < 4000));
      if (source.frequencies.length === 0 || bad !== undefined) {
        throw new CallwrightError('VALIDATION', 'play: tone frequencies must be between 0 and 4000 Hz', [
          { field: 'frequencies', value: source.frequencies, expected: 'one or more numbers in (0, 4000)' },
        ]);
      }
      return new ToneSource(
        source.frequencies,
        clampMs(source.durationMs),
        source.onMs ?? 0,
        source.offMs ?? 0,
      );
    }
    case 'stream':
      return new StreamSource(source.segments);
    case 'silence':
      return new SilenceSource(Math.round(clampMs(source.durationMs) * 8));
    default: {
      const kind = (source as { kind?: unknown }).kind;
      throw new CallwrightError('VALIDATION', `play: unknown source kind ${JSON.stringify(kind)}`, [
        { field: 'kind', value: kind, expected: 'one of "file", "speech", "stream", "tone", "silence"' },
      ]);
    }
  }
}

function clampMs(ms: number): number {
  return Number.isFinite(ms) ? Math.max(0, Math.min(ms, MAX_TONE_MS)) : 0;
}
