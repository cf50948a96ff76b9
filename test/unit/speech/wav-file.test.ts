import { describe, expect, it } from 'vitest';
import {
  encodeWavFile,
  PcmDecoder,
  pcmBytes,
  readWavFile,
  WavStreamParser,
  wavHeader,
} from '../../../src/speech/synthesis/wav-file.js';

const SAMPLES = Int16Array.from({ length: 999 }, (_, i) => Math.round(Math.sin(i / 7) * 20000) - (i % 3));

function feed(parser: { push(b: Uint8Array): Int16Array }, bytes: Buffer, sizes: number[]): Int16Array {
  const out: number[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length] ?? 1;
    out.push(...parser.push(bytes.subarray(at, at + n)));
    at += n;
  }
  return Int16Array.from(out);
}

describe('WAV files of the synthesisers', () => {
  it('writes and reads back a 16-bit mono WAV', () => {
    const wav = encodeWavFile([SAMPLES.subarray(0, 500), SAMPLES.subarray(500)], 24000);
    expect(wav.length).toBe(44 + SAMPLES.length * 2);
    const read = readWavFile(wav);
    expect(read.sampleRate).toBe(24000);
    expect(Array.from(read.samples)).toEqual(Array.from(SAMPLES));
  });

  it.each([[[1]], [[3, 1, 2]], [[45]], [[4096]], [[7, 13]]])(
    'decodes PCM bytes split at any boundary, odd ones included (%j)',
    (sizes) => {
      expect(Array.from(feed(new PcmDecoder(), pcmBytes(SAMPLES), sizes))).toEqual(Array.from(SAMPLES));
    },
  );

  it('parses a streamed WAV with the placeholder size espeak-ng writes, fed a byte at a time', () => {
    const header = wavHeader(22050, 0);
    header.writeUInt32LE(0x7ffff024, 4);
    header.writeUInt32LE(0x7ffff000, 40);
    const parser = new WavStreamParser();
    const samples = feed(parser, Buffer.concat([header, pcmBytes(SAMPLES)]), [1, 2, 5]);
    expect(parser.sampleRate).toBe(22050);
    expect(Array.from(samples)).toEqual(Array.from(SAMPLES));
  });

  it('skips chunks before the data and stops at the declared data size', () => {
    const body = pcmBytes(SAMPLES);
    const fmt = wavHeader(16000, body.length).subarray(12, 36);
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc\0')]);
    const data = Buffer.concat([Buffer.from('data'), Buffer.alloc(4), body, Buffer.from('trailing junk')]);
    data.writeUInt32LE(body.length, 4);
    const riff = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVE'), fmt, list, data]);
    const read = readWavFile(riff);
    expect(read.sampleRate).toBe(16000);
    expect(Array.from(read.samples)).toEqual(Array.from(SAMPLES));
  });

  it.each<[string, Buffer, RegExp]>([
    ['not RIFF', Buffer.from('ID3\u0004 this is an mp3 file, not a wav'), /RIFF\/WAVE/],
    ['stereo', (() => { const h = wavHeader(8000, 0); h.writeUInt16LE(2, 22); return h; })(), /2 channel/],
    ['µ-law', (() => { const h = wavHeader(8000, 0); h.writeUInt16LE(7, 20); return h; })(), /format 7/],
    ['no data chunk', wavHeader(8000, 0).subarray(0, 36), /before its data chunk/],
  ])('refuses a WAV that is %s, saying why', (_name, bytes, why) => {
    expect(() => readWavFile(bytes)).toThrow(why);
  }); // prettier-ignore
});
