import { readFile, stat } from 'node:fs/promises';
import wavefile from 'wavefile';
import { CallwrightError } from '../../../errors.js';
import { SAMPLE_RATE } from './audio-source.js';

const { WaveFile } = wavefile;

interface Entry {
  key: string;
  pcm: Int16Array;
}

/**
 * WAV files decoded once to 8 kHz 16-bit mono and kept by path + mtime + size, so a prompt played on
 * a thousand calls is read and resampled once and an edited file is picked up. Least recently used
 * entries go when the total passes `maxBytes`.
 */
export class AudioFileCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Int16Array>>();
  private bytes = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  async load(path: string): Promise<Int16Array> {
    let info;
    try {
      info = await stat(path);
    } catch (err) {
      throw new CallwrightError(
        'NOT_FOUND',
        `audio file ${path} cannot be read: ${(err as Error).message}`,
        [],
        {
          cause: err,
        },
      );
    }
    const key = `${path}|${info.mtimeMs}|${info.size}`;
    const hit = this.entries.get(path);
    if (hit && hit.key === key) {
      this.entries.delete(path);
      this.entries.set(path, hit);
      return hit.pcm;
    }
    const pending = this.loading.get(key);
    if (pending) return pending;
    const job = readFile(path)
      .then((bytes) => decodeWav(bytes, path))
      .then((pcm) => {
        this.store(path, { key, pcm });
        return pcm;
      })
      .finally(() => this.loading.delete(key));
    this.loading.set(key, job);
    return job;
  }

  private store(path: string, entry: Entry): void {
    const old = this.entries.get(path);
    if (old) {
      this.bytes -= old.pcm.byteLength;
      this.entries.delete(path);
    }
    this.entries.set(path, entry);
    this.bytes += entry.pcm.byteLength;
    for (const [p, e] of this.entries) {
      if (this.bytes <= this.maxBytes || e === entry) break;
      this.entries.delete(p);
      this.bytes -= e.pcm.byteLength;
    }
  }
}

/** Any WAV wavefile reads (PCM 8-32 bit, float, A-law, µ-law, IMA ADPCM, any rate and channel count). */
export function decodeWav(bytes: Uint8Array, path = 'WAV data'): Int16Array {
  const wav = new WaveFile();
  try {
    wav.fromBuffer(bytes);
    const depth = (wav as unknown as { bitDepth: string }).bitDepth;
    if (depth === '8a') wav.fromALaw();
    else if (depth === '8m') wav.fromMuLaw();
    else if (depth === '4') wav.fromIMAADPCM();
    if ((wav as unknown as { bitDepth: string }).bitDepth !== '16') wav.toBitDepth('16');
    const fmt = wav.fmt as { sampleRate: number; numChannels: number };
    // wavefile low-passes before decimating (LPF), so 44.1/48 kHz music does not alias into the band.
    if (fmt.sampleRate !== SAMPLE_RATE) wav.toSampleRate(SAMPLE_RATE, { method: 'sinc', LPF: true });
    const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array | Int16Array[];
    return Array.isArray(samples) ? mixDown(samples) : samples;
  } catch (err) {
    throw new CallwrightError(
      'VALIDATION',
      `audio file ${path}: ${(err as Error).message}; expected a WAV file (PCM, float, A-law or µ-law)`,
      [],
      { cause: err },
    );
  }
}

function mixDown(channels: Int16Array[]): Int16Array {
  const first = channels[0];
  if (!first) return new Int16Array(0);
  if (channels.length === 1) return first;
  const out = new Int16Array(first.length);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (const ch of channels) sum += ch[i] as number;
    out[i] = Math.round(sum / channels.length);
  }
  return out;
}
