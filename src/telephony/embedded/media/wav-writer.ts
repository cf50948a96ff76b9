import { writeFile } from 'node:fs/promises';
import { encodeWavFile } from '../../../speech/synthesis/wav-file.js';

/** Writes 8 kHz 16-bit mono PCM as a canonical 44-byte-header WAV (RIFF/WAVE, fmt PCM). */
export async function writeWav8kMono(path: string, pcm: Int16Array): Promise<void> {
  await writeFile(path, encodeWavFile([pcm], 8000));
}
