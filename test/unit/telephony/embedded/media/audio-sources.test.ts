import { utimesSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AudioFileCache } from '../../../../../src/telephony/embedded/media/audio-file-cache.js';
import {
  generateHoldChime,
  LoopSource,
  PcmSource,
  SilenceSource,
  ToneSource,
} from '../../../../../src/telephony/embedded/media/audio-source.js';
import { rms, tone, writeWav } from '../../../../helpers/audio.js';
import { tempDir } from '../../../../helpers/temp.js';

function frames(
  source: { read(out: Int16Array): boolean },
  count: number,
): Array<{ ok: boolean; level: number }> {
  const out = new Int16Array(160);
  return Array.from({ length: count }, () => {
    const ok = source.read(out);
    return { ok, level: rms(out) };
  });
}

describe('audio sources', () => {
  it('a tone follows its on/off cadence and ends after its duration', () => {
    const f = frames(new ToneSource([440, 480], 400, 100, 100), 22);
    expect(f.slice(0, 5).every((x) => x.level > 1000)).toBe(true); // 100 ms on
    expect(f.slice(5, 10).every((x) => x.level === 0)).toBe(true); // 100 ms off
    expect(f.slice(10, 15).every((x) => x.level > 1000)).toBe(true);
    expect(f.slice(0, 20).every((x) => x.ok)).toBe(true);
    expect(f.slice(20).every((x) => !x.ok)).toBe(true);
  });

  it('a tone is the frequency asked for', () => {
    const source = new ToneSource([1000], 100);
    const out = new Int16Array(160);
    source.read(out);
    // Correlates with a reference 1 kHz sine at some phase: compare energy at 1 kHz by projection.
    let re = 0;
    let im = 0;
    out.forEach((s, i) => {
      re += s * Math.cos((2 * Math.PI * 1000 * i) / 8000);
      im += s * Math.sin((2 * Math.PI * 1000 * i) / 8000);
    });
    const amplitude = (2 * Math.hypot(re, im)) / out.length;
    expect(amplitude).toBeGreaterThan(0.2 * 32767);
  });

  it('silence lasts its duration; PCM plays once; a loop starts over', () => {
    expect(frames(new SilenceSource(800), 6).map((x) => x.ok)).toEqual([true, true, true, true, true, false]);
    const pcm = Int16Array.from({ length: 400 }, () => 1000);
    expect(frames(new PcmSource(pcm), 4).map((x) => x.ok)).toEqual([true, true, true, false]);
    expect(frames(new LoopSource(new PcmSource(pcm)), 10).every((x) => x.ok)).toBe(true);
  });

  it('the default hold chime is gentle (about -18 dBFS peak) and not silent', () => {
    const chime = generateHoldChime();
    const peak = chime.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(peak).toBeGreaterThan(2000);
    expect(peak).toBeLessThan(8000);
  });
});

describe('decoded WAV cache', () => {
  const tmp = tempDir('callwright-cache-');
  const cache = new AudioFileCache();
  afterAll(async () => {
    await cache.close();
    tmp.cleanup();
  });

  it('decodes once per path and mtime, and picks up an edited file', async () => {
    const file = path.join(tmp.dir, 'prompt.wav');
    writeWav(file, tone(16000, 0.5, 500), { sampleRate: 16000 });
    const first = await cache.load(file);
    expect(first.length).toBe(4000);
    expect(await cache.load(file)).toBe(first);
    writeWav(file, tone(16000, 1, 500), { sampleRate: 16000 });
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const edited = await cache.load(file);
    expect(edited).not.toBe(first);
    expect(edited.length).toBe(8000);
  });

  it('refuses a file that is not a WAV, naming it', async () => {
    const file = path.join(tmp.dir, 'bad.wav');
    (await import('node:fs')).writeFileSync(file, 'RIFF nonsense');
    await expect(cache.load(file)).rejects.toThrow(/bad\.wav.*expected a WAV file/);
  });
});
