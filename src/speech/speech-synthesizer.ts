/**
 * Text to speech behind one interface: a provider turns text into a WAV file and the telephony backends
 * just play that file (so FreeSWITCH and the embedded backend share prompts). Providers: espeak-ng
 * (offline default); cloud providers implement the same interface.
 */
export interface SpeechRequest {
  text: string;
  /** Provider voice name; the configured default when absent. */
  voice?: string;
  /** BCP 47 language tag (en-US); providers whose voices imply a language may ignore it. */
  language?: string;
}

export interface SpeechSynthesizer {
  /** Short provider name, part of the cache key (`espeak`). */
  readonly provider: string;
  /** Writes the speech to a WAV file and returns its absolute path. Rejects with a CallwrightError. */
  synthesize(request: SpeechRequest, options?: { signal?: AbortSignal }): Promise<string>;
}
