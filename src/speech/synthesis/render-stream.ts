import { writeFile } from 'node:fs/promises';
import { SpeechProviderError } from '../speech-error.js';
import type { PcmChunk } from '../speech-synthesizer.js';
import { encodeWavFile } from './wav-file.js';

/**
 * A streamed synthesis written as a 16-bit mono WAV at the stream's rate, so a streaming provider
 * can also fill the prompt cache (which plays files). Writes only once the stream has completed.
 */
export async function renderStreamToWav(
  provider: string,
  stream: AsyncIterable<PcmChunk>,
  outputPath: string,
): Promise<void> {
  const chunks: Int16Array[] = [];
  let sampleRate: number | undefined;
  for await (const chunk of stream) {
    if (sampleRate !== undefined && chunk.sampleRate !== sampleRate) {
      throw new SpeechProviderError(
        provider,
        'protocol',
        `the audio changed sample rate mid-stream (${sampleRate} Hz, then ${chunk.sampleRate} Hz)`,
      );
    }
    sampleRate = chunk.sampleRate;
    chunks.push(chunk.samples);
  }
  if (sampleRate === undefined)
    throw new SpeechProviderError(provider, 'protocol', 'the reply held no audio');
  await writeFile(outputPath, encodeWavFile(chunks, sampleRate));
}
