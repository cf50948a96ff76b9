import alawmulaw from 'alawmulaw';

/**
 * G.711 (ITU-T G.711) through lookup tables built once from alawmulaw's reference coder, so the hot path
 * is one array read per sample and never allocates. Encode tables are indexed by the 16-bit sample
 * plus 32768 (64 KiB each); decode tables by the 8-bit code.
 */
export type G711Codec = 'PCMU' | 'PCMA';

const { alaw, mulaw } = alawmulaw;

function buildDecode(decodeSample: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let i = 0; i < 256; i++) table[i] = decodeSample(i);
  return table;
}

function buildEncode(encodeSample: (sample: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = encodeSample(i - 32768);
  return table;
}

const ULAW_DECODE = buildDecode((c) => mulaw.decodeSample(c));
const ALAW_DECODE = buildDecode((c) => alaw.decodeSample(c));
const ULAW_ENCODE = buildEncode((s) => mulaw.encodeSample(s));
const ALAW_ENCODE = buildEncode((s) => alaw.encodeSample(s));

/** The code for digital silence: what a frame of zeros encodes to. */
export const SILENCE_CODE: Readonly<Record<G711Codec, number>> = {
  PCMU: ULAW_ENCODE[32768] ?? 0xff,
  PCMA: ALAW_ENCODE[32768] ?? 0xd5,
};

export function decodeTable(codec: G711Codec): Int16Array {
  return codec === 'PCMU' ? ULAW_DECODE : ALAW_DECODE;
}

export function encodeTable(codec: G711Codec): Uint8Array {
  return codec === 'PCMU' ? ULAW_ENCODE : ALAW_ENCODE;
}

/** Encodes `count` samples of `pcm` into `out` at `outOffset`. */
export function encodeInto(
  table: Uint8Array,
  pcm: Int16Array,
  out: Uint8Array,
  outOffset: number,
  count: number,
): void {
  for (let i = 0; i < count; i++) out[outOffset + i] = table[(pcm[i] as number) + 32768] as number;
}

/** Decodes `count` codes from `src` at `srcOffset` into `out` at `outOffset`. */
export function decodeInto(
  table: Int16Array,
  src: Uint8Array,
  srcOffset: number,
  out: Int16Array,
  outOffset: number,
  count: number,
): void {
  for (let i = 0; i < count; i++) out[outOffset + i] = table[src[srcOffset + i] as number] as number;
}
