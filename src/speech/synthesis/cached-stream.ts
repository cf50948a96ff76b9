import { readFile } from 'node:fs/promises';
import { PromptCache, checkSpeechText } from '../prompt-cache.js';
import type { SpeechProvider } from '../speech-provider.js';
import type {
  PcmChunk,
  SpeechRequest,
  SpeechSynthesizer,
  StreamingSynthesizer,
} from '../speech-synthesizer.js';
import { synthesisCancelled } from './cancelled.js';
import { encodeWavFile, readWavFile } from './wav-file.js';

/** Cached audio is handed out this many ms at a time, like a provider's stream. */
const CHUNK_MS = 100;

export interface CachedStreamingOptions {
  /**
   * A streamed sentence could not be kept in the cache (disk full, no permission). The caller has
   * heard it all by then, so this is reported here instead of failing the stream.
   */
  onCacheError?: (err: unknown) => void;
}

/**
 * Streaming speech backed by the prompt cache, one sentence per request: a sentence said before
 * ("Let me check that for you.") plays from its cached WAV; a new one streams from the provider while
 * the same PCM is gathered, and becomes a cached prompt only once the provider finished it (written
 * under a temporary name and renamed). An aborted or failed stream leaves nothing behind, so a cut
 * sentence never plays truncated later. Static prompts thus stream the first time and are cached after.
 */
export class CachedStreamingSpeech implements StreamingSynthesizer, SpeechSynthesizer {
  readonly cache: PromptCache;

  constructor(
    private readonly engine: SpeechProvider & StreamingSynthesizer,
    cacheDir: string,
    private readonly options: CachedStreamingOptions = {},
  ) {
    this.cache = new PromptCache(engine, cacheDir);
  }

  get provider(): string {
    return this.engine.name;
  }

  /** The whole prompt as a cached WAV file (for players that take files). */
  synthesize(request: SpeechRequest, options: { signal?: AbortSignal } = {}): Promise<string> {
    return this.cache.synthesize(request, options);
  }

  async *stream(request: SpeechRequest, options: { signal?: AbortSignal } = {}): AsyncIterable<PcmChunk> {
    checkSpeechText(request.text);
    const { signal } = options;
    const cached = await this.readCached(request);
    if (cached) {
      const step = Math.max(1, Math.round((cached.sampleRate * CHUNK_MS) / 1000));
      for (let at = 0; at < cached.samples.length; at += step) {
        if (signal?.aborted) throw synthesisCancelled();
        yield { samples: cached.samples.subarray(at, at + step), sampleRate: cached.sampleRate };
      }
      return;
    }
    const heard: Int16Array[] = [];
    let sampleRate: number | undefined;
    let oneRate = true;
    for await (const chunk of this.engine.stream(request, { signal })) {
      if (sampleRate !== undefined && chunk.sampleRate !== sampleRate) oneRate = false;
      sampleRate = chunk.sampleRate;
      heard.push(chunk.samples);
      yield chunk;
    }
    // A provider that ends quietly on abort has not finished the sentence.
    if (signal?.aborted) throw synthesisCancelled();
    if (sampleRate === undefined || !oneRate) return;
    try {
      await this.cache.store(request, encodeWavFile(heard, sampleRate));
    } catch (err) {
      this.options.onCacheError?.(err);
    }
  }

  /** The cached sentence, or undefined (also for a file that is not a 16-bit mono WAV: it is redone). */
  private async readCached(
    request: SpeechRequest,
  ): Promise<{ sampleRate: number; samples: Int16Array } | undefined> {
    const file = await this.cache.cached(request);
    if (!file) return undefined;
    try {
      return readWavFile(await readFile(file), file);
    } catch {
      return undefined;
    }
  }
}
