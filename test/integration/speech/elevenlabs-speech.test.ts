import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import alawmulaw from 'alawmulaw';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ElevenLabsSpeech, PromptCache, type PcmChunk } from '../../../src/speech/index.js';
import { SpeechProviderError } from '../../../src/speech/speech-error.js';
import { pcmBytes, readWavFile } from '../../../src/speech/synthesis/wav-file.js';
import {
  startElevenLabsServer,
  type ElevenLabsServer,
} from '../../helpers/speech-providers/elevenlabs-server.js';
import { tempDir } from '../../helpers/temp.js';

const TEXT = 'Hello, this is the front desk. How can I help you today?';

describe('ElevenLabs streaming speech against a local text-to-speech server', () => {
  let server: ElevenLabsServer;
  const tmp = tempDir('callwright-elevenlabs-');

  beforeAll(async () => {
    server = await startElevenLabsServer();
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

  function speech(
    overrides: Partial<ConstructorParameters<typeof ElevenLabsSpeech>[0]> = {},
  ): ElevenLabsSpeech {
    return new ElevenLabsSpeech({
      baseUrl: server.baseUrl,
      apiKey: server.apiKey,
      voiceId: server.voiceIds[0]!,
      modelId: 'eleven_flash_v2_5',
      firstByteTimeoutMs: 2000,
      timeoutMs: 10000,
      ...overrides,
    });
  }

  async function failure(stream: AsyncIterable<PcmChunk>): Promise<Error> {
    try {
      for await (const _ of stream) void _;
    } catch (err) {
      return err as Error;
    }
    throw new Error('the stream did not fail');
  }

  it('streams 16 kHz PCM as it arrives: the first chunk comes while the server is still sending', async () => {
    const chunks: PcmChunk[] = [];
    let serverDoneAtFirstChunk: boolean | undefined;
    for await (const chunk of speech().stream({ text: TEXT, language: 'en-US' })) {
      if (chunks.length === 0) serverDoneAtFirstChunk = server.streams[0]?.finishedAt !== undefined;
      chunks.push(chunk);
    }
    const request = server.requests[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe(`/v1/text-to-speech/${server.voiceIds[0]}/stream?output_format=pcm_16000`);
    expect(request.headers['xi-api-key']).toBe(server.apiKey);
    expect(request.headers.authorization).toBeUndefined();
    expect(JSON.parse(request.body)).toEqual({
      text: TEXT,
      model_id: 'eleven_flash_v2_5',
      language_code: 'en',
    });
    expect(serverDoneAtFirstChunk).toBe(false);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.every((c) => c.sampleRate === 16000)).toBe(true);
    const received = Buffer.concat(chunks.map((c) => pcmBytes(c.samples)));
    expect(received.equals(server.streams[0]!.audio)).toBe(true);
  });

  it("uses the request's voice over the default voice id, and sends no language_code to models that refuse it", async () => {
    for await (const _ of speech({ modelId: 'eleven_multilingual_v2' }).stream({
      text: 'Goodbye.',
      voice: server.voiceIds[1]!,
      language: 'en-GB',
    }))
      void _;
    const request = server.requests[0]!;
    expect(request.url).toBe(`/v1/text-to-speech/${server.voiceIds[1]}/stream?output_format=pcm_16000`);
    expect(JSON.parse(request.body)).toEqual({ text: 'Goodbye.', model_id: 'eleven_multilingual_v2' });
  });

  it('decodes ulaw_8000, the telephone codec, to 8 kHz PCM', async () => {
    const chunks: PcmChunk[] = [];
    for await (const chunk of speech({ outputFormat: 'ulaw_8000' }).stream({ text: TEXT }))
      chunks.push(chunk);
    expect(server.requests[0]!.url).toMatch(/output_format=ulaw_8000$/);
    expect(chunks.every((c) => c.sampleRate === 8000)).toBe(true);
    const samples = Int16Array.from(chunks.flatMap((c) => Array.from(c.samples)));
    const sent = server.streams[0]!.audio;
    expect(samples.length).toBe(sent.length);
    // G.711 decode then encode gives the provider's bytes back: nothing lost on the way to the caller.
    expect(Buffer.from(alawmulaw.mulaw.encode(samples)).equals(sent)).toBe(true);
  });

  it('renders a cached 16 kHz WAV through the prompt cache', async () => {
    const cache = new PromptCache(speech(), path.join(tmp.dir, 'prompts'));
    const file = await cache.synthesize({ text: 'One moment please.' });
    const wav = readWavFile(readFileSync(file));
    expect(wav.sampleRate).toBe(16000);
    expect(pcmBytes(wav.samples).equals(server.streams[0]!.audio)).toBe(true);
  });

  it('reports a refused key as unauthorized with the provider message and never the key', async () => {
    const badKey = 'xi-wrong-key-9876543210';
    const err = (await failure(speech({ apiKey: badKey }).stream({ text: TEXT }))) as SpeechProviderError;
    expect(err).toBeInstanceOf(SpeechProviderError);
    expect(err.failure).toBe('unauthorized');
    expect(err.providerStatus).toBe(401);
    expect(err.message).toBe('elevenlabs: unauthorized: 401 invalid_api_key: Invalid API key');
    expect(JSON.stringify(err.describe())).not.toContain(badKey);
  });

  it('refuses to call without a key, naming the variable to set', async () => {
    const err = (await failure(speech({ apiKey: '' }).stream({ text: TEXT }))) as SpeechProviderError;
    expect(err.failure).toBe('unauthorized');
    expect(err.message).toMatch(/CALLWRIGHT_SPEECH_ELEVENLABS_API_KEY/);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses to call without a voice id, naming the setting', async () => {
    const err = await failure(speech({ voiceId: '' }).stream({ text: TEXT }));
    expect(err.message).toMatch(/speech\.elevenlabs\.voice_id/);
    expect(server.requests).toHaveLength(0);
  });

  it('reports an unknown voice as a rejected request with the provider message', async () => {
    const err = (await failure(
      speech({ voiceId: 'no-such-voice' }).stream({ text: TEXT }),
    )) as SpeechProviderError;
    expect(err.failure).toBe('rejected');
    expect(err.message).toMatch(/voice_not_found: A voice with voice_id no-such-voice was not found/);
  });

  it.each([500, 503])('reports a %i from the provider as unavailable', async (status) => {
    server.mode = { kind: 'status', status };
    const err = (await failure(speech().stream({ text: TEXT }))) as SpeechProviderError;
    expect(err.failure).toBe('unavailable');
    expect(err.providerStatus).toBe(status);
    expect(err.message).toMatch(/temporarily unavailable/);
  });

  it('reports a server that is down as unavailable', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const err = (await failure(
      speech({ baseUrl: `http://127.0.0.1:${port}` }).stream({ text: TEXT }),
    )) as SpeechProviderError;
    expect(err.failure).toBe('unavailable');
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('times out a provider that never answers within speech.provider_timeout_ms', async () => {
    server.mode = { kind: 'hang' };
    const err = (await failure(
      speech({ firstByteTimeoutMs: 300 }).stream({ text: TEXT }),
    )) as SpeechProviderError;
    expect(err.failure).toBe('timeout');
  });

  it('reports a stream cut mid-way as unavailable', async () => {
    server.mode = { kind: 'cut', afterBytes: 8000 };
    const err = (await failure(speech().stream({ text: TEXT }))) as SpeechProviderError;
    expect(err.failure).toBe('unavailable');
    expect(err.message).toMatch(/after 8000 bytes/);
  });

  it('aborting mid-stream stops the request: the server sees the connection close', async () => {
    const controller = new AbortController();
    const err = await failure(
      (async function* () {
        for await (const chunk of speech().stream({ text: TEXT }, { signal: controller.signal })) {
          controller.abort();
          yield chunk;
        }
      })(),
    );
    expect(err.message).toMatch(/cancelled/);
    const record = server.streams[0]!;
    await record.closed;
    expect(record.clientClosedEarly).toBe(true);
    expect(record.bytesSent).toBeLessThan(record.audio.length);
  });
});
