import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/temp.js';
import { EspeakProvider, PromptCache } from '../../../src/speech/index.js';
import { decodeWav } from '../../../src/telephony/embedded/media/index.js';
import { rms } from '../../helpers/audio.js';

describe('espeak-ng speech with the prompt cache', () => {
  const tmp = tempDir('callwright-speech-');
  afterAll(() => tmp.cleanup());

  function countingSpawn(): { spawn: typeof spawn; count: () => number } {
    let n = 0;
    const counted = ((...args: Parameters<typeof spawn>) => {
      n++;
      return spawn(...args);
    }) as typeof spawn;
    return { spawn: counted, count: () => n };
  }

  it('renders a prompt to a WAV once; the second request is served from the cache without spawning', async () => {
    const counter = countingSpawn();
    const cache = new PromptCache(
      new EspeakProvider({ voice: 'en-us', timeoutMs: 15000, spawn: counter.spawn }),
      path.join(tmp.dir, 'prompts'),
    );
    const request = { text: 'Thank you for calling. Please hold.' };
    const [first, concurrent] = await Promise.all([cache.synthesize(request), cache.synthesize(request)]);
    expect(concurrent).toBe(first);
    expect(counter.count()).toBe(1);
    const again = await cache.synthesize(request);
    expect(again).toBe(first);
    expect(counter.count()).toBe(1);
    const pcm = decodeWav(readFileSync(first));
    expect(pcm.length).toBeGreaterThan(8000); // over a second of speech at 8 kHz
    expect(rms(pcm)).toBeGreaterThan(500);
    // A different voice is a different prompt.
    const other = await cache.synthesize({ ...request, voice: 'en-gb' });
    expect(other).not.toBe(first);
    expect(counter.count()).toBe(2);
    expect(cache.provider).toBe('espeak');
  });

  it('names the package to install when espeak-ng is missing', async () => {
    const cache = new PromptCache(
      new EspeakProvider({ voice: 'en-us', timeoutMs: 5000, command: 'espeak-ng-not-installed' }),
      path.join(tmp.dir, 'missing'),
    );
    await expect(cache.synthesize({ text: 'hello' })).rejects.toThrow(/Debian package espeak-ng/);
  });

  it('kills a synthesis that outlives speech.timeout_ms', async () => {
    const slow = path.join(tmp.dir, 'slow-tts.sh');
    writeFileSync(slow, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(slow, 0o755);
    const cache = new PromptCache(
      new EspeakProvider({ voice: 'en-us', timeoutMs: 300, command: slow }),
      path.join(tmp.dir, 'slow'),
    );
    await expect(cache.synthesize({ text: 'hello' })).rejects.toThrow(/speech.timeout_ms \(300 ms\)/);
  });

  it('refuses a voice name that is not an espeak-ng voice', async () => {
    const cache = new PromptCache(new EspeakProvider({ voice: 'en-us', timeoutMs: 5000 }), tmp.dir);
    await expect(cache.synthesize({ text: 'hi', voice: 'en; rm -rf /' })).rejects.toThrow(
      /espeak-ng voice name/,
    );
  });
});
