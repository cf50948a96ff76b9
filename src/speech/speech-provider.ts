import type { SpeechRequest } from './speech-synthesizer.js';

/** One text-to-speech engine: renders a request into a WAV file at a path it is given. */
export interface SpeechProvider {
  /** Short name, part of the prompt cache key. */
  readonly name: string;
  /** The voice a request resolves to (the cache key uses it, so a default change re-renders). */
  voiceFor(request: SpeechRequest): string;
  render(request: SpeechRequest, outputPath: string, signal?: AbortSignal): Promise<void>;
}
