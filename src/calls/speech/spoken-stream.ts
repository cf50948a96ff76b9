import type { MediaSource, PcmChunk } from '../../telephony/port.js';
import type { StreamingSynthesizer } from '../../speech/speech-synthesizer.js';
import { splitSentences } from '../../speech/synthesis/sentences.js';
import { heardText } from './heard-text.js';

export interface SpokenStream {
  /** What the leg plays: one segment per sentence, synthesised while the one before plays. */
  source: MediaSource;
  /** What the caller heard of the text after `heardMs` of its audio. */
  heard(heardMs: number): string;
}

/**
 * A line as streamed speech: cut into sentences; each is synthesised (or read from the prompt cache)
 * as the player reaches it, so the first sentence plays while the rest is being made. When the
 * synthesiser fails before a sentence has any audio, that sentence and the rest are spoken by the
 * fallback (espeak-ng, offline) and `onFailure` is told: the caller hears the words, not dead air.
 */
export function spokenStream(
  text: string,
  voice: { voice?: string; language?: string },
  synth: StreamingSynthesizer,
  fallback: StreamingSynthesizer | undefined,
  onFailure: (err: unknown) => void,
  signal: AbortSignal,
): SpokenStream {
  const sentences = splitSentences(text);
  /** Ms of audio made per sentence so far. */
  const made: number[] = [];
  let current = synth;

  async function* sentence(i: number, words: string): AsyncGenerator<PcmChunk> {
    let samples = 0;
    const request = { text: words, ...voice };
    try {
      for await (const chunk of current.stream(request, { signal })) {
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
      samples += chunk.samples.length;
      made[i] = (samples * 1000) / chunk.sampleRate;
      yield chunk;
    }
  }

  async function* segments(): AsyncGenerator<AsyncIterable<PcmChunk>> {
    for (const [i, words] of sentences.entries()) yield sentence(i, words);
  }

  return {
    source: { kind: 'stream', segments: segments(), text },
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
