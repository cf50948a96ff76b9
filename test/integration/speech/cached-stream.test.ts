import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CachedStreamingSpeech,
  EspeakProvider,
  OpenAiSpeech,
  type PcmChunk,
} from '../../../src/speech/index.js';
import { pcmBytes, readWavFile } from '../../../src/speech/synthesis/wav-file.js';
import {
  startOpenAiSpeechServer,
  type OpenAiSpeechServer,
} from '../../helpers/speech-providers/openai-speech-server.js';
import { tempDir } from '../../helpers/temp.js';

const SENTENCE = 'Let me check that for you.';

describe('streaming speech through the prompt cache', () => {
  let server: OpenAiSpeechServer;
  const tmp = tempDir('callwright-cached-stream-');
  let dirs = 0;

  beforeAll(async () => {
    server = await startOpenAiSpeechServer();
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });
  beforeEach(() => {
    server.mode = { kind: 'ok' };
    server.requests.length = 0;
    server.streams.length = 0;
  });

  function cached(): { speech: CachedStreamingSpeech; dir: string } {
    const dir = path.join(tmp.dir, `cache-${++dirs}`);
    const provider = new OpenAiSpeech({
      baseUrl: server.baseUrl,
      apiKey: server.apiKey,
      model: 'tts-1',
      voice: 'alloy',
      firstByteTimeoutMs: 2000,
      timeoutMs: 10000,
    });
    return { speech: new CachedStreamingSpeech(provider, dir), dir };
  }

  async function collect(stream: AsyncIterable<PcmChunk>): Promise<PcmChunk[]> {
    const out: PcmChunk[] = [];
    for await (const chunk of stream) out.push(chunk);
    return out;
  }

  function files(dir: string): string[] {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  }

  it('streams a new sentence from the provider, then plays it from the cache without contacting the server', async () => {
    const { speech, dir } = cached();
    const first = await collect(speech.stream({ text: SENTENCE }));
    expect(server.requests).toHaveLength(1);
    const sent = server.streams[0]!.audio;
    expect(Buffer.concat(first.map((c) => pcmBytes(c.samples))).equals(sent)).toBe(true);

    const file = await speech.cache.cached({ text: SENTENCE });
    expect(file).toBeDefined();
    expect(files(dir)).toEqual([path.basename(file!)]);
    const wav = readWavFile(readFileSync(file!));
    expect(wav.sampleRate).toBe(24000);
    expect(pcmBytes(wav.samples).equals(sent)).toBe(true);

    const second = await collect(speech.stream({ text: SENTENCE }));
    expect(server.requests).toHaveLength(1);
    expect(Buffer.concat(second.map((c) => pcmBytes(c.samples))).equals(sent)).toBe(true);
    expect(second.every((c) => c.sampleRate === 24000)).toBe(true);
    // ~100 ms pieces, as a provider would stream them.
    for (const chunk of second.slice(0, -1)) expect(chunk.samples.length).toBe(2400);

    // Another voice is another prompt.
    await collect(speech.stream({ text: SENTENCE, voice: 'nova' }));
    expect(server.requests).toHaveLength(2);
  });

  it('leaves no cache file when the stream is aborted mid-way, and streams it again next time', async () => {
    const { speech, dir } = cached();
    const controller = new AbortController();
    await expect(
      (async () => {
        for await (const _ of speech.stream({ text: SENTENCE }, { signal: controller.signal }))
          controller.abort();
      })(),
    ).rejects.toThrow(/cancelled/);
    await server.streams[0]!.closed;
    expect(await speech.cache.cached({ text: SENTENCE })).toBeUndefined();
    expect(files(dir)).toEqual([]);

    await collect(speech.stream({ text: SENTENCE }));
    expect(server.requests).toHaveLength(2);
    expect(await speech.cache.cached({ text: SENTENCE })).toBeDefined();
  });

  it('leaves no cache file when the consumer stops listening (barge-in)', async () => {
    const { speech, dir } = cached();
    for await (const _ of speech.stream({ text: SENTENCE })) break;
    expect(files(dir)).toEqual([]);
  });

  it('leaves no cache file when the provider cuts the stream', async () => {
    const { speech, dir } = cached();
    server.mode = { kind: 'cut', afterBytes: 10000 };
    await expect(collect(speech.stream({ text: SENTENCE }))).rejects.toThrow(/connection broke/);
    expect(files(dir)).toEqual([]);
  });

  it('stops playing a cached sentence when aborted', async () => {
    const { speech } = cached();
    await collect(speech.stream({ text: SENTENCE }));
    const controller = new AbortController();
    let chunks = 0;
    await expect(
      (async () => {
        for await (const _ of speech.stream({ text: SENTENCE }, { signal: controller.signal })) {
          if (++chunks === 2) controller.abort();
        }
      })(),
    ).rejects.toThrow(/cancelled/);
    expect(chunks).toBe(2);
  });

  it('plays a static prompt rendered by synthesize() from the same cache, without running espeak-ng again', async () => {
    let spawned = 0;
    const counting = ((...args: Parameters<typeof spawn>) => {
      spawned++;
      return spawn(...args);
    }) as typeof spawn;
    const speech = new CachedStreamingSpeech(
      new EspeakProvider({ voice: 'en-us', timeoutMs: 15000, spawn: counting }),
      path.join(tmp.dir, 'espeak-prompts'),
    );
    const request = { text: 'Thank you for calling.' };
    const file = await speech.synthesize(request);
    expect(spawned).toBe(1);
    const chunks = await collect(speech.stream(request));
    expect(spawned).toBe(1);
    expect(chunks[0]?.sampleRate).toBe(22050);
    const played = Buffer.concat(chunks.map((c) => pcmBytes(c.samples)));
    expect(played.equals(pcmBytes(readWavFile(readFileSync(file)).samples))).toBe(true);
  });

  it('refuses empty text before contacting the provider', async () => {
    const { speech } = cached();
    await expect(collect(speech.stream({ text: '  ' }))).rejects.toThrow(/1-5000 characters/);
    expect(server.requests).toHaveLength(0);
  });
});
