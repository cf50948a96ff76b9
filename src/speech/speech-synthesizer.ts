/**
 * Text to speech behind one interface. Two shapes of the same providers:
 * - `SpeechSynthesizer.synthesize` writes a WAV file and returns its path (cached static prompts: the
 *   same prompt on a thousand calls is rendered once, and FreeSWITCH plays the file);
 * - `StreamingSynthesizer.stream` yields PCM as the provider produces it, so the first sentence of a
 *   reply plays while the rest is still being synthesised.
 * Providers: espeak-ng (offline default), OpenAI-compatible `/v1/audio/speech`, ElevenLabs.
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

/** A piece of synthesised audio: 16-bit mono PCM at `sampleRate`. */
export interface PcmChunk {
  samples: Int16Array;
  sampleRate: number;
}

export interface StreamingSynthesizer {
  readonly provider: string;
  /**
   * PCM of one text as it arrives. Rejects (throws from the iterator) with a `SpeechProviderError` when
   * the provider is down, slow or refuses the key; aborting the signal stops the request.
   */
  stream(request: SpeechRequest, options?: { signal?: AbortSignal }): AsyncIterable<PcmChunk>;
}
