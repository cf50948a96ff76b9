/** Decodes a WAV file's bytes to 8 kHz 16-bit mono samples; throws on data wavefile cannot read. */
export function decodeWavBytes(bytes: Uint8Array): Int16Array;
