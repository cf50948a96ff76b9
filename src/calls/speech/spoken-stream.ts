import type { MediaSource, PcmChunk } from '../../telephony/port.js';
import type { StreamingSynthesizer } from '../../speech/speech-synthesizer.js';
import { cutSentences, splitSentences } from '../../speech/synthesis/sentences.js';
import { heardText } from './heard-text.js';

export interface SpokenStream {
  /** What the leg plays: one segment per sentence, synthesised while the one before plays. */
  source: MediaSource;
  /** What the caller heard of the text after `heardMs` of its audio. */
  heard(heardMs: number): string;
  /** The text cut into sentences so far (all of it once the source has ended). */
  said(): string;
}

/** Moments of the stream, for the turn's latency breakdown. */
export interface SpokenStreamHooks {
  /** The first sentence is complete (for streamed text: the model has written it). */
  firstSentence?(): void;
  /** The synthesiser gave its first audio. */
  firstAudio?(): void;
}

/**
 * A line as streamed speech: cut into sentences; each is synthesised (or read from the prompt cache)
 * as the player reaches it, so the first sentence plays while the rest is being made. When the
 * synthesiser fails before a sentence has any audio, that sentence and the rest are spoken by the
 * fallback (espeak-ng, offline) and `onFailure` is told: the caller hears the words, not dead air.
 */
export function spokenStream(
  text: string | AsyncIterable<string>,
  voice: { voice?: string; language?: string },
  synth: StreamingSynthesizer,
  fallback: StreamingSynthesizer | undefined,
  onFailure: (err: unknown) => void,
  signal: AbortSignal,
  hooks: SpokenStreamHooks = {},
): SpokenStream {
  /** Sentences cut so far: all of a string at once, a stream's as they complete. */
  const sentences: string[] = typeof text === 'string' ? splitSentences(text) : [];
  let audioStarted = false;
  /** Ms of audio made per sentence so far. */
  const made: number[] = [];
  let current = synth;

  async function* sentence(i: number, words: string): AsyncGenerator<PcmChunk> {
    let samples = 0;
    const request = { text: words, ...voice };
    try {
      for await (const chunk of current.stream(request, { signal })) {
        if (!audioStarted) {
          audioStarted = true;
          hooks.firstAudio?.();
        }
        samples += chunk.samples.length;
        made[i] = (samples * 1000) / chunk.sampleRate;
        yield chunk;
      }
      return;
    } catch (err) {
      if (signal.aborted || samples > 0 || !fallback || current === fallback) {
        if (!signal.aborted) onFailure(err);
        return;
      }
      onFailure(err);
      current = fallback;
    }
    // The fallback speaks this sentence (its own voice: the provider's voice names mean nothing to it).
    for await (const chunk of current.stream({ text: words }, { signal })) {
      if (!audioStarted) {
        audioStarted = true;
        hooks.firstAudio?.();
      }
      samples += chunk.samples.length;
      made[i] = (samples * 1000) / chunk.sampleRate;
      yield chunk;
    }
  }

  async function* segments(): AsyncGenerator<AsyncIterable<PcmChunk>> {
    if (typeof text === 'string') {
      if (sentences.length) hooks.firstSentence?.();
      for (const [i, words] of sentences.entries()) yield sentence(i, words);
      return;
    }
    for await (const words of cutSentences(text)) {
      if (signal.aborted) return;
      if (!words) continue;
      if (!sentences.length) hooks.firstSentence?.();
      sentences.push(words);
      yield sentence(sentences.length - 1, words);
    }
  }

  return {
    source: { kind: 'stream', segments: segments(), ...(typeof text === 'string' ? { text } : {}) },
    said: () => sentences.join(' '),
    heard(heardMs: number): string {
      const out: string[] = [];
      let left = heardMs;
      for (const [i, words] of sentences.entries()) {
        const ms = made[i] ?? 0;
        // A sentence with no audio made yet was not heard at all.
        if (ms === 0) break;
        if (left >= ms) {
          out.push(words);
          left -= ms;
          continue;
        }
        const part = heardText(words, left, ms);
        if (part) out.push(part);
        else if (out.length) out[out.length - 1] = `${out[out.length - 1]}…`;
        break;
      }
      return out.join(' ');
    },
  };
}
