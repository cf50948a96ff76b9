/**
 * A canonical 44-byte-header WAV (RIFF/WAVE, fmt PCM, 16-bit mono) around `samples`, for providers that
 * take a file. Speech keeps its own copy rather than importing the telephony media layer's writer.
 */
export function encodeWav(samples: Int16Array, sampleRate: number): Buffer {
  const dataBytes = samples.length * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28); // byte rate
  out.writeUInt16LE(2, 32); // block align
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  // WAV is little-endian, as is every platform Node runs on here: the samples are copied as they are.
  Buffer.from(samples.buffer, samples.byteOffset, dataBytes).copy(out, 44);
  return out;
}
