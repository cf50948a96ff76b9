import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAiSpeech, PromptCache, type PcmChunk } from '../../../src/speech/index.js';
import { SpeechProviderError } from '../../../src/speech/speech-error.js';
import { readWavFile, pcmBytes } from '../../../src/speech/synthesis/wav-file.js';
import {
  startOpenAiSpeechServer,
  type OpenAiSpeechServer,
} from '../../helpers/speech-providers/openai-speech-server.js';
import { startHttpReceiver } from '../../helpers/http-receiver.js';
import { tempDir } from '../../helpers/temp.js';

const TEXT = 'Thank you for calling. Your appointment is confirmed for Tuesday at ten thirty.';

describe('OpenAI-compatible streaming speech against a local /v1/audio/speech server', () => {
  let server: OpenAiSpeechServer;
  const tmp = tempDir('callwright-openai-speech-');

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

  function speech(overrides: Partial<ConstructorParameters<typeof OpenAiSpeech>[0]> = {}): OpenAiSpeech {
    return new OpenAiSpeech({
      baseUrl: server.baseUrl,
      apiKey: server.apiKey,
      model: 'tts-1',
      voice: 'alloy',
      firstByteTimeoutMs: 2000,
      timeoutMs: 10000,
      ...overrides,
    });
  }

  async function failure(stream: AsyncIterable<PcmChunk>): Promise<SpeechProviderError> {
    try {
      for await (const _ of stream) void _;
    } catch (err) {
      expect(err).toBeInstanceOf(SpeechProviderError);
      return err as SpeechProviderError;
    }
    throw new Error('the stream did not fail');
  }

  it('streams 24 kHz PCM as it arrives: the first chunk comes while the server is still sending', async () => {
    const chunks: PcmChunk[] = [];
    let serverDoneAtFirstChunk: boolean | undefined;
    let sentAtFirstChunk = 0;
    for await (const chunk of speech().stream({ text: TEXT, voice: 'nova' })) {
      if (chunks.length === 0) {
        const record = server.streams[0];
        serverDoneAtFirstChunk = record?.finishedAt !== undefined;
        sentAtFirstChunk = record?.bytesSent ?? 0;
      }
      chunks.push(chunk);
    }
    const request = server.requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/audio/speech');
    expect(request?.headers.authorization).toBe(`Bearer ${server.apiKey}`);
    expect(JSON.parse(request?.body ?? '')).toEqual({
      model: 'tts-1',
      input: TEXT,
      voice: 'nova',
      response_format: 'pcm',
    });
    expect(serverDoneAtFirstChunk).toBe(false);
    const record = server.streams[0]!;
    expect(sentAtFirstChunk).toBeLessThan(record.audio.length / 2);
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.every((c) => c.sampleRate === 24000)).toBe(true);
    // Every byte arrives, in order, although the server's chunks split samples in two.
    const received = Buffer.concat(chunks.map((c) => pcmBytes(c.samples)));
    expect(received.equals(record.audio)).toBe(true);
  });

  it('renders a cached WAV at 24 kHz through the prompt cache, with the default voice', async () => {
    const cache = new PromptCache(speech(), path.join(tmp.dir, 'prompts'));
    const file = await cache.synthesize({ text: 'Please hold.' });
    const wav = readWavFile(readFileSync(file));
    expect(wav.sampleRate).toBe(24000);
    expect(Buffer.from(pcmBytes(wav.samples)).equals(server.streams[0]!.audio)).toBe(true);
    expect(JSON.parse(server.requests[0]?.body ?? '').voice).toBe('alloy');
    expect(await cache.synthesize({ text: 'Please hold.' })).toBe(file);
    expect(server.requests).toHaveLength(1);
  });

  it('reports a refused key as unauthorized with the provider message and never the key', async () => {
    const badKey = 'sk-wrong-key-0123456789';
    const err = await failure(speech({ apiKey: badKey }).stream({ text: TEXT }));
    expect(err.failure).toBe('unauthorized');
    expect(err.providerStatus).toBe(401);
    expect(err.message).toContain('Incorrect API key provided');
    expect(err.message).toContain('invalid_api_key');
    expect(err.message).not.toContain(badKey);
    expect(JSON.stringify(err.describe())).not.toContain(badKey);
  });

  it('sends no Authorization header when no key is set (local servers), and reports the refusal', async () => {
    const err = await failure(speech({ apiKey: '' }).stream({ text: TEXT }));
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    expect(err.failure).toBe('unauthorized');
    expect(err.message).toMatch(/You didn't provide an API key/);
  });

  it('refuses a server that ignores response_format pcm and answers mp3, naming what it sent', async () => {
    const mp3Server = await startHttpReceiver(() => ({
      status: 200,
      body: 'ID3\u0004\u0000fake mp3 frames',
      headers: { 'content-type': 'audio/mpeg' },
    }));
    try {
      const err = await failure(speech({ baseUrl: `${mp3Server.url}/v1` }).stream({ text: TEXT }));
      expect(err.failure).toBe('protocol');
      expect(err.message).toMatch(/answered audio\/mpeg, not raw PCM: it must support response_format "pcm"/);
    } finally {
      await mp3Server.close();
    }
  });

  it.each([500, 503])('reports a %i from the provider as unavailable', async (status) => {
    server.mode = { kind: 'status', status };
    const err = await failure(speech().stream({ text: TEXT }));
    expect(err.failure).toBe('unavailable');
    expect(err.providerStatus).toBe(status);
    expect(err.message).toContain('The server had an error');
  });

  it('reports a server that is down as unavailable', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = await failure(speech({ baseUrl: `http://127.0.0.1:${port}/v1` }).stream({ text: TEXT }));
    expect(err.failure).toBe('unavailable');
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('times out a provider that never answers within speech.provider_timeout_ms', async () => {
    server.mode = { kind: 'hang' };
    const started = Date.now();
    const err = await failure(speech({ firstByteTimeoutMs: 300 }).stream({ text: TEXT }));
    expect(err.failure).toBe('timeout');
    expect(err.message).toMatch(/speech.provider_timeout_ms/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out a provider that sends its headers and then no audio', async () => {
    server.mode = { kind: 'silent-headers' };
    const err = await failure(speech({ firstByteTimeoutMs: 300 }).stream({ text: TEXT }));
    expect(err.failure).toBe('timeout');
  });

  it('stops a reply that outlives speech.timeout_ms, although audio keeps coming', async () => {
    const err = await failure(speech({ timeoutMs: 150 }).stream({ text: TEXT }));
    expect(err.failure).toBe('timeout');
    expect(err.message).toMatch(/speech.timeout_ms/);
  });

  it('does not count the time a slow consumer holds the audio against speech.timeout_ms', async () => {
    let samples = 0;
    let held = 0;
    for await (const chunk of speech({ timeoutMs: 400 }).stream({ text: 'Please hold the line.' })) {
      samples += chunk.samples.length;
      await new Promise((r) => setTimeout(r, 250));
      held += 250;
    }
    expect(samples * 2).toBe(server.streams[0]!.audio.length);
    expect(held).toBeGreaterThan(400);
  });

  it('reports a stream cut mid-way as unavailable, after the audio it did send', async () => {
    server.mode = { kind: 'cut', afterBytes: 20001 };
    let samples = 0;
    const err = await (async () => {
      try {
        for await (const chunk of speech().stream({ text: TEXT })) samples += chunk.samples.length;
      } catch (e) {
        return e as SpeechProviderError;
      }
      throw new Error('the stream did not fail');
    })();
    expect(err).toBeInstanceOf(SpeechProviderError);
    expect(err.failure).toBe('unavailable');
    expect(err.message).toMatch(/connection broke/);
    expect(samples).toBe(10000);
  });

  it('aborting mid-stream stops the request: the server sees the connection close', async () => {
    const controller = new AbortController();
    let received = 0;
    const outcome = (async () => {
      for await (const chunk of speech().stream({ text: TEXT }, { signal: controller.signal })) {
        received += chunk.samples.length;
        if (received > 2000) controller.abort();
      }
    })();
    await expect(outcome).rejects.toThrow(/cancelled/);
    const record = server.streams[0]!;
    await record.closed;
    expect(record.clientClosedEarly).toBe(true);
    expect(record.bytesSent).toBeLessThan(record.audio.length);
  });

  it('ends the stream on abort even when the whole reply has already arrived', async () => {
    const controller = new AbortController();
    let chunks = 0;
    const outcome = (async () => {
      for await (const _ of speech().stream({ text: 'Please hold.' }, { signal: controller.signal })) {
        if (++chunks === 1) {
          while (server.streams[0]?.finishedAt === undefined) await new Promise((r) => setTimeout(r, 20));
          await new Promise((r) => setTimeout(r, 50));
          controller.abort();
        }
      }
    })();
    await expect(outcome).rejects.toThrow(/cancelled/);
    expect(chunks).toBe(1);
  });

  it('leaving the loop early also closes the connection', async () => {
    for await (const _ of speech().stream({ text: TEXT })) break;
    const record = server.streams[0]!;
    await record.closed;
    expect(record.clientClosedEarly).toBe(true);
  });
});
