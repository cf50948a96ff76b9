import { readFile, stat } from 'node:fs/promises';
import { CallwrightError } from '../../../errors.js';
import { decodeWavBytes } from './wav-decoder.mjs';
import { WavDecodePool } from './wav-decode-pool.js';

interface Entry {
  key: string;
  pcm: Int16Array;
}

/**
 * WAV files decoded once to 8 kHz 16-bit mono and kept by path + mtime + size, so a prompt played on
 * a thousand calls is read and resampled once (on a worker thread) and an edited file is picked up. Least recently used
 * entries go when the total passes `maxBytes`.
 */
export class AudioFileCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Int16Array>>();
  private bytes = 0;

  private readonly decoder = new WavDecodePool();

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  /** Stops the decoder thread (it also never keeps the process alive on its own). */
  close(): Promise<void> {
    return this.decoder.close();
  }

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
      .then((bytes) => this.decoder.decode(bytes))
      .catch((err: unknown) => {
        throw wavError(err, path);
      })
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

/** Decodes WAV bytes on the calling thread (tests, tiny files); the cache uses the worker pool. */
export function decodeWav(bytes: Uint8Array, path = 'WAV data'): Int16Array {
  try {
    return decodeWavBytes(bytes);
  } catch (err) {
    throw wavError(err, path);
  }
}

function wavError(err: unknown, path: string): CallwrightError {
  return new CallwrightError(
    'VALIDATION',
    `audio file ${path}: ${(err as Error).message}; expected a WAV file (PCM, float, A-law or µ-law)`,
    [],
    { cause: err },
  );
}
