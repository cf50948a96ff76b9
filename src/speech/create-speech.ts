import path from 'node:path';
import type { Config } from '../config/schema.js';
import { EspeakProvider } from './espeak-provider.js';
import type { SpeechProvider } from './speech-provider.js';
import type { StreamingSynthesizer } from './speech-synthesizer.js';
import { CachedStreamingSpeech, type CachedStreamingOptions } from './synthesis/cached-stream.js';
import { ElevenLabsSpeech } from './synthesis/elevenlabs-speech.js';
import { OpenAiSpeech } from './synthesis/openai-speech.js';
import type { SynthesizerName } from './turn-settings.js';

export type SpeechSettings = Config['speech'];

/** Where synthesised prompts are cached (speech.cache_dir, default <data.dir>/prompts). */
export function promptCacheDir(settings: SpeechSettings, dataDir: string): string {
  return path.resolve(settings.cache_dir || path.join(dataDir, 'prompts'));
}

/** One synthesiser provider by name, from the speech settings. */
export function createSpeechProvider(
  settings: SpeechSettings,
  name: SynthesizerName,
): SpeechProvider & StreamingSynthesizer {
  switch (name) {
    case 'openai':
      return new OpenAiSpeech({
        baseUrl: settings.openai_speech.base_url,
        apiKey: settings.openai_speech.api_key,
        model: settings.openai_speech.model,
        voice: settings.openai_speech.voice,
        firstByteTimeoutMs: settings.provider_timeout_ms,
        timeoutMs: settings.timeout_ms,
      });
    case 'elevenlabs':
      return new ElevenLabsSpeech({
        baseUrl: settings.elevenlabs.base_url,
        apiKey: settings.elevenlabs.api_key,
        voiceId: settings.elevenlabs.voice_id,
        modelId: settings.elevenlabs.model_id,
        firstByteTimeoutMs: settings.provider_timeout_ms,
        timeoutMs: settings.timeout_ms,
      });
    default:
      return new EspeakProvider({ voice: settings.voice, timeoutMs: settings.timeout_ms });
  }
}

/**
 * A synthesiser with its prompt cache: `synthesize` gives a cached WAV (prompts, whispers: what the
 * backends play as files), `stream` gives PCM as it is made, kept in the same cache once complete.
 */
export function createSpeechSynthesizer(
  settings: SpeechSettings,
  dataDir: string,
  name: SynthesizerName = settings.provider,
  options: CachedStreamingOptions = {},
): CachedStreamingSpeech {
  return new CachedStreamingSpeech(
    createSpeechProvider(settings, name),
    promptCacheDir(settings, dataDir),
    options,
  );
}
