import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { measureWavLevel } from '../../../../src/calls/voicemail/recording-level.mjs';
import { measureRecordingLevel } from '../../../../src/calls/voicemail/recording-level.js';

function sine(seconds: number, amplitude: number, rate = 8000): Int16Array {
  const out = new Int16Array(Math.round(seconds * rate));
  for (let i = 0; i < out.length; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / rate));
  return out;
}

function wav(samples: Int16Array | Int16Array[], rate = 8000, encode?: 'alaw' | 'mulaw'): Buffer {
  const w = new wavefile.WaveFile();
  const channels = Array.isArray(samples) ? samples : [samples];
  w.fromScratch(channels.length, rate, '16', Array.isArray(samples) ? channels : samples);
  if (encode === 'alaw') w.toALaw();
  if (encode === 'mulaw') w.toMuLaw();
  return Buffer.from(w.toBuffer());
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('recording level', () => {
  it('digital silence measures the -100 dBFS floor', () => {
    expect(measureWavLevel(wav(new Int16Array(16000)))).toEqual({
      level_dbfs: -100,
      peak_dbfs: -100,
      duration_ms: 2000,
    });
  });

  it.each([
    ['16-bit PCM', undefined],
    ['A-law', 'alaw' as const],
    ['µ-law', 'mulaw' as const],
  ])('a sine at 10000/32768 reads -13.3 dBFS RMS and -10.3 peak from %s', (_name, encode) => {
    const level = measureWavLevel(wav(sine(1, 10000), 8000, encode));
    expect(level.level_dbfs).toBeCloseTo(-13.3, 0);
    expect(level.peak_dbfs).toBeCloseTo(-10.3, 0);
    expect(level.duration_ms).toBe(1000);
  });

  it('one short word in a long quiet message is found by the loudest window, not averaged away', () => {
    const samples = new Int16Array(8000 * 60);
    samples.set(sine(0.2, 8000), 8000 * 30);
    expect(measureWavLevel(wav(samples)).level_dbfs).toBeGreaterThan(-20);
  });

  it('reads any rate and channel count: the loudest channel counts', () => {
    const level = measureWavLevel(wav([new Int16Array(16000), sine(1, 3000, 16000)], 16000));
    expect(level.level_dbfs).toBeCloseTo(-23.7, 0);
    expect(level.duration_ms).toBe(1000);
  });

  it('measures a file on a worker thread, and rejects a file that is not a WAV', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'callwright-level-'));
    dirs.push(dir);
    const good = path.join(dir, 'good.wav');
    writeFileSync(good, wav(sine(0.5, 1000)));
    expect((await measureRecordingLevel(good)).level_dbfs).toBeCloseTo(-33.3, 0);
    const bad = path.join(dir, 'bad.wav');
    writeFileSync(bad, 'not a wav file');
    await expect(measureRecordingLevel(bad)).rejects.toThrow();
    await expect(measureRecordingLevel(path.join(dir, 'missing.wav'))).rejects.toThrow(/ENOENT/);
  });
});
