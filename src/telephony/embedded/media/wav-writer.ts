import { writeFile } from 'node:fs/promises';

/** Writes 8 kHz 16-bit mono PCM as a canonical 44-byte-header WAV (RIFF/WAVE, fmt PCM). */
export async function writeWav8kMono(path: string, pcm: Int16Array): Promise<void> {
  const dataBytes = pcm.length * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  // WAV is little-endian, as is every platform Node runs on here, so the samples go out as they are.
  const data = Buffer.from(pcm.buffer, pcm.byteOffset, dataBytes);
  await writeFile(path, Buffer.concat([header, data]));
}
