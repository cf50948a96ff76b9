import { CallwrightError } from '../../errors.js';

/**
 * The WAV (RIFF) files the synthesisers write and the prompt cache keeps: 16-bit mono PCM only, the
 * one shape every provider here produces. A reader for files, an incremental parser for a WAV that
 * arrives over a pipe, and a decoder of little-endian PCM bytes that may split a sample between two
 * reads. The media layer's own decoder (any WAV to 8 kHz) lives under telephony, which speech must
 * not import.
 */

const HEADER_BYTES = 44;
/** WAVE_FORMAT_PCM in the fmt chunk. */
const FORMAT_PCM = 1;
/**
 * A writer that streams a WAV cannot know its length: espeak-ng writes 0x7ffff000 into the RIFF and
 * data sizes, others 0xffffffff. A data size this large is a placeholder, so the data runs to the end.
 */
const STREAMING_SIZE = 0x7fff0000;

/** The 44-byte header of a 16-bit PCM WAV of `channels` channels (mono unless said) holding `dataBytes` bytes. */
export function wavHeader(sampleRate: number, dataBytes: number, channels = 1): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(FORMAT_PCM, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** Samples as little-endian bytes (WAV's byte order, whatever the machine's). */
export function pcmBytes(samples: Int16Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i] ?? 0, i * 2);
  return out;
}

/** A 16-bit mono PCM WAV file of `chunks` at `sampleRate`. */
export function encodeWavFile(chunks: readonly Int16Array[], sampleRate: number): Buffer {
  const body = Buffer.concat(chunks.map(pcmBytes));
  return Buffer.concat([wavHeader(sampleRate, body.length), body]);
}

/**
 * Little-endian 16-bit PCM bytes to samples, across reads that may end in the middle of a sample:
 * the odd byte waits for the next read.
 */
export class PcmDecoder {
  private carry: number | undefined;

  /** The whole samples `bytes` completes. */
  push(bytes: Uint8Array): Int16Array {
    const total = bytes.length + (this.carry === undefined ? 0 : 1);
    const out = new Int16Array(total >> 1);
    let i = 0;
    let n = 0;
    if (this.carry !== undefined && bytes.length > 0) {
      out[n++] = toInt16(this.carry | ((bytes[0] ?? 0) << 8));
      i = 1;
      this.carry = undefined;
    }
    for (; i + 1 < bytes.length; i += 2) out[n++] = toInt16((bytes[i] ?? 0) | ((bytes[i + 1] ?? 0) << 8));
    if (i < bytes.length) this.carry = bytes[i];
    return out;
  }

  /** True when a byte is waiting for its pair (a stream that ends here was cut inside a sample). */
  get pending(): boolean {
    return this.carry !== undefined;
  }
}

function toInt16(u: number): number {
  return u >= 0x8000 ? u - 0x10000 : u;
}

/** The format a WAV header declares. */
export interface WavFormat {
  sampleRate: number;
}

/**
 * A WAV read as it arrives (espeak-ng --stdout): the header's chunks are parsed once they are
 * complete, then the data chunk's bytes come out as samples. A streaming writer's placeholder data
 * size means "to the end of the stream".
 */
export class WavStreamParser {
  private head: Buffer = Buffer.alloc(0);
  private format: WavFormat | undefined;
  private inData = false;
  /** Data bytes still to read; Infinity for a streamed WAV. */
  private dataLeft = 0;
  private readonly pcm = new PcmDecoder();

  constructor(private readonly source = 'WAV stream') {}

  get sampleRate(): number | undefined {
    return this.format?.sampleRate;
  }

  /** Samples completed by `bytes` (empty while the header is still arriving). */
  push(bytes: Uint8Array): Int16Array {
    if (this.inData) return this.data(bytes);
    this.head = Buffer.concat([this.head, bytes]);
    return this.parseHeader();
  }

  /** Throws when the stream ended before any audio or inside a sample. */
  end(): void {
    if (!this.inData) throw this.invalid('it ended before its data chunk');
  }

  private data(bytes: Uint8Array): Int16Array {
    if (this.dataLeft === 0) return new Int16Array(0);
    const take = this.dataLeft === Infinity ? bytes : bytes.subarray(0, this.dataLeft);
    if (this.dataLeft !== Infinity) this.dataLeft -= take.length;
    return this.pcm.push(take);
  }

  private parseHeader(): Int16Array {
    const h = this.head;
    if (h.length < 12) return new Int16Array(0);
    if (h.toString('ascii', 0, 4) !== 'RIFF' || h.toString('ascii', 8, 12) !== 'WAVE') {
      throw this.invalid('it does not start with a RIFF/WAVE header');
    }
    let at = 12;
    while (at + 8 <= h.length) {
      const id = h.toString('ascii', at, at + 4);
      const size = h.readUInt32LE(at + 4);
      if (id === 'data') {
        if (!this.format) throw this.invalid('its data chunk comes before its fmt chunk');
        this.inData = true;
        this.dataLeft = size >= STREAMING_SIZE ? Infinity : size;
        const rest = h.subarray(at + 8);
        this.head = Buffer.alloc(0);
        return this.data(rest);
      }
      // RIFF chunks are padded to an even length.
      const next = at + 8 + size + (size & 1);
      if (next > h.length) return new Int16Array(0);
      if (id === 'fmt ') this.format = this.readFormat(h.subarray(at + 8, at + 8 + size));
      at = next;
    }
    return new Int16Array(0);
  }

  private readFormat(fmt: Buffer): WavFormat {
    if (fmt.length < 16) throw this.invalid('its fmt chunk is shorter than 16 bytes');
    const tag = fmt.readUInt16LE(0);
    const channels = fmt.readUInt16LE(2);
    const sampleRate = fmt.readUInt32LE(4);
    const bits = fmt.readUInt16LE(14);
    if (tag !== FORMAT_PCM || channels !== 1 || bits !== 16) {
      throw this.invalid(
        `it holds format ${tag}, ${channels} channel(s), ${bits} bits; expected 16-bit mono PCM`,
      );
    }
    if (sampleRate < 1000 || sampleRate > 192000)
      throw this.invalid(`its sample rate ${sampleRate} is implausible`);
    return { sampleRate };
  }

  private invalid(why: string): CallwrightError {
    return new CallwrightError('INTERNAL', `${this.source} is not a 16-bit mono PCM WAV: ${why}`);
  }
}

/** A whole 16-bit mono PCM WAV file: its rate and samples. */
export function readWavFile(
  bytes: Uint8Array,
  source = 'WAV file',
): { sampleRate: number; samples: Int16Array } {
  const parser = new WavStreamParser(source);
  const samples = parser.push(bytes);
  parser.end();
  return { sampleRate: parser.sampleRate ?? 0, samples };
}
