import { open, stat } from 'node:fs/promises';
import { delay } from './timeouts.js';

export interface WavFileInfo {
  channels: number;
  sampleRate: number;
  dataBytes: number;
  durationMs: number;
}

/**
 * Reads a PCM WAV's format and data size from its chunks (libsndfile, which FreeSWITCH records with,
 * may add chunks before `data`). Undefined while the file is not a complete RIFF/WAVE yet.
 */
export async function readWavInfo(path: string): Promise<WavFileInfo | undefined> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return undefined;
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead < 12 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE')
      return undefined;
    let at = 12;
    let channels = 0;
    let sampleRate = 0;
    let bitsPerSample = 16;
    while (at + 8 <= bytesRead) {
      const id = head.toString('ascii', at, at + 4);
      const size = head.readUInt32LE(at + 4);
      if (id === 'fmt ' && at + 24 <= bytesRead) {
        channels = head.readUInt16LE(at + 10);
        sampleRate = head.readUInt32LE(at + 12);
        bitsPerSample = head.readUInt16LE(at + 22);
      }
      if (id === 'data') {
        if (!channels || !sampleRate) return undefined;
        const bytesPerSecond = sampleRate * channels * (bitsPerSample / 8);
        return {
          channels,
          sampleRate,
          dataBytes: size,
          durationMs: Math.round((size / bytesPerSecond) * 1000),
        };
      }
      at += 8 + size + (size % 2);
    }
    return undefined;
  } finally {
    await fh.close();
  }
}

/**
 * Waits until FreeSWITCH has closed the recording: the header's data size matches the file's length
 * (libsndfile writes the sizes when it closes the file) and the size no longer grows.
 */
export async function waitForCompleteWav(path: string, timeoutMs: number): Promise<WavFileInfo> {
  const until = Date.now() + timeoutMs;
  let lastSize = -1;
  for (;;) {
    const size = (await stat(path).catch(() => undefined))?.size ?? -1;
    const info = size > 0 ? await readWavInfo(path) : undefined;
    if (info && size === lastSize && info.dataBytes > 0 && info.dataBytes <= size) return info;
    if (Date.now() > until) {
      if (info) return info;
      throw new Error(`the recording ${path} was not completed by FreeSWITCH within ${timeoutMs} ms`);
    }
    lastSize = size;
    await delay(200);
  }
}
