import type { SpeechSettings } from '../config/schema.js';
import { CallwrightError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { DeepgramRecognizer } from './recognition/deepgram-recognizer.js';
import { OpenAiTranscriptionRecognizer } from './recognition/openai-transcription-recognizer.js';
import { PocketsphinxRecognizer } from './recognition/pocketsphinx-recognizer.js';
import type { SpeechRecognizer } from './speech-recognizer.js';
import type { RecognizerName, SynthesizerName } from './turn-settings.js';
import { createSpeechSynthesizer } from './create-speech.js';
import type { CachedStreamingSpeech } from './synthesis/cached-stream.js';
import { VoiceActivityPool } from './vad/voice-activity.js';

/**
 * The speech parts calls share: the voice-activity thread and one recogniser per provider, made on
 * first use (a provider without a key is refused with the setting to fill in).
 */
export class SpeechServices {
  readonly vad: VoiceActivityPool;
  private readonly recognizers = new Map<RecognizerName, SpeechRecognizer>();
  private readonly synthesizers = new Map<SynthesizerName, CachedStreamingSpeech>();

  constructor(
    readonly settings: SpeechSettings,
    /** data.dir: the prompt cache lives under it unless speech.cache_dir says otherwise. */
    private readonly dataDir: string,
    private readonly logger?: Logger,
  ) {
    this.vad = new VoiceActivityPool(logger);
  }

  /** The streaming synthesiser by name (cached per sentence), made on first use. */
  synthesizer(name: SynthesizerName): CachedStreamingSpeech {
    let s = this.synthesizers.get(name);
    if (!s) {
      s = createSpeechSynthesizer(this.settings, this.dataDir, name, {
        onCacheError: (err) => this.logger?.warn({ err }, 'a synthesised sentence could not be cached'),
      });
      this.synthesizers.set(name, s);
    }
    return s;
  }

  /** The recogniser by name; `none` has none (undefined). */
  recognizer(name: RecognizerName): SpeechRecognizer | undefined {
    if (name === 'none') return undefined;
    let r = this.recognizers.get(name);
    if (!r) {
      r = this.create(name);
      this.recognizers.set(name, r);
    }
    return r;
  }

  private create(name: Exclude<RecognizerName, 'none'>): SpeechRecognizer {
    const s = this.settings;
    switch (name) {
      case 'pocketsphinx':
        return new PocketsphinxRecognizer({
          python: s.pocketsphinx.python,
          modelDir: s.pocketsphinx.model_dir,
          decoders: s.pocketsphinx.decoders,
          ...(this.logger ? { logger: this.logger } : {}),
        });
      case 'deepgram':
        return new DeepgramRecognizer({
          url: s.deepgram.url,
          apiKey: s.deepgram.api_key,
          model: s.deepgram.model,
          endpointingMs: s.deepgram.endpointing_ms,
          timeoutMs: s.provider_timeout_ms,
          ...(this.logger ? { logger: this.logger } : {}),
        });
      case 'openai':
        return new OpenAiTranscriptionRecognizer({
          baseUrl: s.openai_transcription.base_url,
          apiKey: s.openai_transcription.api_key,
          model: s.openai_transcription.model,
          timeoutMs: s.provider_timeout_ms,
          ...(this.logger ? { logger: this.logger } : {}),
        });
      default:
        throw new CallwrightError('CONFIG_INVALID', `speech recogniser ${String(name)} is not available`, [
          { field: 'speech.recognizer', value: name, expected: 'pocketsphinx, deepgram, openai or none' },
        ]);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.recognizers.values()].map((r) => r.close?.()));
    await this.vad.close();
  }
}
