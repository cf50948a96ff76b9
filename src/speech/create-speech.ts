import path from 'node:path';
import type { Config } from '../config/schema.js';
import { EspeakProvider } from './espeak-provider.js';
import { PromptCache } from './prompt-cache.js';
import type { SpeechSynthesizer } from './speech-synthesizer.js';

export type SpeechSettings = Config['speech'];

/** The configured synthesizer with its prompt cache (speech.cache_dir, default <data.dir>/prompts). */
export function createSpeechSynthesizer(settings: SpeechSettings, dataDir: string): SpeechSynthesizer {
  const dir = settings.cache_dir || path.join(dataDir, 'prompts');
  const provider = new EspeakProvider({ voice: settings.voice, timeoutMs: settings.timeout_ms });
  return new PromptCache(provider, path.resolve(dir));
}
