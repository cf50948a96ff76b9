import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiTranscriptionRecognizer, SpeechProviderError } from '../../../src/speech/index.js';
import type { RecognitionResult, RecognitionStream } from '../../../src/speech/speech-recognizer.js';
import { tempDir } from '../../helpers/temp.js';
import {
  startOpenAiTranscriptionServer,
  type OpenAiTranscriptionServer,
} from '../../helpers/speech-providers/openai-transcription-server.js';
import { FRAME, feed, speak, type Spoken } from '../../helpers/speech-providers/spoken-audio.js';

const KEY = 'sk-test-transcription-4b8e2d9a';
const FIRST = 'I would like to speak to a human please';
const SECOND = 'my order number is four two seven';

async function collect(
  stream: RecognitionStream,
): Promise<{ results: RecognitionResult[]; error?: unknown }> {
  const results: RecognitionResult[] = [];
  try {
    for await (const r of stream.results) results.push(r);
    return { results };
  } catch (error) {
    return { results, error };
  }
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

const durationMs = (s: Spoken): number => (s.samples.length * 1000) / 8000;

describe('OpenAI-compatible transcription recogniser', () => {
  const tmp = tempDir('callwright-transcription-');
  let server: OpenAiTranscriptionServer;
  let first: Spoken;
  let second: Spoken;

  beforeAll(async () => {
    server = await startOpenAiTranscriptionServer({ apiKey: KEY });
    first = speak(FIRST, tmp.dir, 'first');
    second = speak(SECOND, tmp.dir, 'second');
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });

  const recognizer = (over: Partial<ConstructorParameters<typeof OpenAiTranscriptionRecognizer>[0]> = {}) =>
    new OpenAiTranscriptionRecognizer({
      baseUrl: server.baseUrl,
      apiKey: KEY,
      model: 'whisper-1',
      timeoutMs: 3000,
      ...over,
    });

  it('sends each utterance of real speech as an 8 kHz WAV and gives its text as a final result, in order', async () => {
    server.fault(undefined);
    server.say(FIRST);
    server.say(SECOND);
    const before = server.requests.length;
    const stream = recognizer().start({
      language: 'en-US',
      sampleRate: 8000,
      hints: { phrases: ['human', 'agent'], answers: ['yes'] },
    });
    const done = collect(stream);
    await feed(stream, first);
    stream.setHints({ phrases: ['order number'] });
    await feed(stream, second, { streamAtMs: durationMs(first) });
    stream.end();
    const { results, error } = await done;
    expect(error).toBeUndefined();
    expect(results).toEqual([
      { text: FIRST, final: true, startMs: first.speechStartMs, endMs: first.speechEndMs },
      {
        text: SECOND,
        final: true,
        startMs: durationMs(first) + second.speechStartMs,
        endMs: durationMs(first) + second.speechEndMs,
      },
    ]);
    const [a, b] = server.requests.slice(before);
    expect(a?.authorization).toBe(`Bearer ${KEY}`);
    expect(a?.fields).toEqual({
      model: 'whisper-1',
      language: 'en',
      response_format: 'json',
      prompt: 'human, agent, yes',
    });
    expect(a?.file).toMatchObject({
      filename: 'utterance.wav',
      contentType: 'audio/wav',
      wav: { sampleRate: 8000, channels: 1, bitsPerSample: 16 },
    });
    expect(b?.fields.prompt).toBe('order number');
    // From 300 ms before the start mark to where speechEnded was called (700 ms after the speech).
    const expected = ((first.speechEndMs + 700 - (first.speechStartMs - 300)) * 8000) / 1000;
    expect(Math.abs((a?.file?.wav.samples ?? 0) - expected)).toBeLessThanOrEqual(2 * FRAME);
  });

  it('gives no line for an utterance the provider hears as silence', async () => {
    server.say('should not be used');
    const quiet: Spoken = { samples: new Int16Array(8000 * 2), speechStartMs: 500, speechEndMs: 1200 };
    const stream = recognizer().start({ language: 'en-US', sampleRate: 8000 });
    const done = collect(stream);
    const before = server.requests.length;
    await feed(stream, quiet);
    stream.end();
    const { results, error } = await done;
    expect(error).toBeUndefined();
    expect(results).toEqual([]);
    expect(server.requests.length).toBe(before + 1);
    server.reset();
  });

  it('sends the speech so far when the stream ends mid-utterance', async () => {
    server.requests.length = 0;
    server.say(FIRST);
    const stream = recognizer().start({ language: 'en-US', sampleRate: 8000 });
    const done = collect(stream);
    // Only the first 1.5 s: speechEnded never comes.
    const cut: Spoken = { ...first, samples: first.samples.subarray(0, 12000) };
    await feed(stream, cut);
    stream.end();
    const { results, error } = await done;
    expect(error).toBeUndefined();
    expect(server.requests).toHaveLength(1);
    expect(results).toEqual([{ text: FIRST, final: true, startMs: first.speechStartMs, endMs: 1500 }]);
  });

  it('cuts an utterance at the maximum length and sends the rest as the next one', async () => {
    server.requests.length = 0;
    server.reset();
    server.say('part one');
    server.say('part two');
    const stream = recognizer({ maxUtteranceMs: 1000 }).start({ language: 'en-US', sampleRate: 8000 });
    const done = collect(stream);
    await feed(stream, first);
    stream.end();
    const { results, error } = await done;
    expect(error).toBeUndefined();
    expect(server.requests.length).toBeGreaterThanOrEqual(2);
    expect(server.requests.every((r) => (r.file?.wav.samples ?? 0) <= 8000)).toBe(true);
    expect(results.map((r) => r.text)).toEqual(['part one', 'part two']);
    expect(results[0]?.endMs).toBe(results[1]?.startMs);
  });

  describe('provider failures end the results with a SpeechProviderError', () => {
    async function failure(rec: OpenAiTranscriptionRecognizer): Promise<SpeechProviderError> {
      const stream = rec.start({ language: 'en-US', sampleRate: 8000 });
      const done = collect(stream);
      await feed(stream, first);
      stream.end();
      const { error } = await done;
      expect(error).toBeInstanceOf(SpeechProviderError);
      return error as SpeechProviderError;
    }

    it('a provider that is down is unavailable', async () => {
      const err = await failure(recognizer({ baseUrl: `http://127.0.0.1:${await closedPort()}/v1` }));
      expect(err.failure).toBe('unavailable');
      expect(err.provider).toBe('openai');
      expect(err.message).toMatch(/ECONNREFUSED/);
    });

    it("a refused key is unauthorized, with OpenAI's message and without the key", async () => {
      server.fault(undefined);
      const wrong = 'sk-wrong-key-0123456789abcdef';
      const err = await failure(recognizer({ apiKey: wrong }));
      expect(err.failure).toBe('unauthorized');
      expect(err.providerStatus).toBe(401);
      expect(err.message).toContain('Incorrect API key provided');
      expect(err.message).toContain('invalid_api_key');
      expect(err.message).not.toContain(wrong);
    });

    it('no key configured is unauthorized and names the setting', async () => {
      const stream = recognizer({ apiKey: '' }).start({ language: 'en-US', sampleRate: 8000 });
      const { error } = await collect(stream);
      expect((error as SpeechProviderError).failure).toBe('unauthorized');
      expect((error as SpeechProviderError).message).toContain(
        'CALLWRIGHT_SPEECH_OPENAI_TRANSCRIPTION_API_KEY',
      );
    });

    it('a provider that does not answer in time is a timeout', async () => {
      server.fault({ kind: 'hang' });
      try {
        const started = Date.now();
        const err = await failure(recognizer({ timeoutMs: 300 }));
        expect(err.failure).toBe('timeout');
        expect(Date.now() - started).toBeLessThan(2500);
      } finally {
        server.fault(undefined);
      }
    });

    it.each([500, 503])('an HTTP %i answer is unavailable, with its message', async (status) => {
      server.fault({ kind: 'status', status, message: `overloaded (${status})` });
      try {
        const err = await failure(recognizer());
        expect(err.failure).toBe('unavailable');
        expect(err.providerStatus).toBe(status);
        expect(err.message).toContain(`overloaded (${status})`);
      } finally {
        server.fault(undefined);
      }
    });
  });
});
