import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DeepgramRecognizer, SpeechProviderError } from '../../../src/speech/index.js';
import type { RecognitionResult, RecognitionStream } from '../../../src/speech/speech-recognizer.js';
import { tempDir } from '../../helpers/temp.js';
import { startDeepgramServer, type DeepgramServer } from '../../helpers/speech-providers/deepgram-server.js';
import { feed, speak, type Spoken } from '../../helpers/speech-providers/spoken-audio.js';

const KEY = 'dg-test-key-5c1f0e';
const SENTENCE = 'I would like to speak to a human please';

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

describe('Deepgram live streaming recogniser', () => {
  const tmp = tempDir('callwright-deepgram-');
  let server: DeepgramServer;
  let human: Spoken;

  beforeAll(async () => {
    server = await startDeepgramServer({ apiKey: KEY });
    human = speak(SENTENCE, tmp.dir, 'human');
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });

  const recognizer = (over: Partial<ConstructorParameters<typeof DeepgramRecognizer>[0]> = {}) =>
    new DeepgramRecognizer({
      url: server.url,
      apiKey: KEY,
      model: 'nova-2',
      endpointingMs: 300,
      timeoutMs: 2000,
      ...over,
    });

  it('streams real speech and gives interim results, then the utterance as one final result', async () => {
    server.fault(undefined);
    server.say(SENTENCE);
    const stream = recognizer().start({
      language: 'en-US',
      sampleRate: 8000,
      hints: { phrases: ['human', 'agent'] },
    });
    const done = collect(stream);
    // Written at once: most of it before the socket opens, so the queue carries it.
    await feed(stream, human);
    stream.end();
    const { results, error } = await done;
    expect(error).toBeUndefined();
    const finals = results.filter((r) => r.final);
    expect(finals.map((r) => r.text)).toEqual([SENTENCE]);
    const firstFinal = results.indexOf(finals[0] as RecognitionResult);
    const interims = results.slice(0, firstFinal);
    expect(interims.length).toBeGreaterThan(0);
    expect(interims.every((r) => !r.final && SENTENCE.startsWith(r.text))).toBe(true);
    const final = finals[0] as RecognitionResult;
    expect(final.confidence).toBeGreaterThan(0.5);
    expect(Math.abs((final.startMs ?? -1) - human.speechStartMs)).toBeLessThan(100);
    expect(Math.abs((final.endMs ?? -1) - human.speechEndMs)).toBeLessThan(100);

    const conn = server.connections.at(-1)!;
    expect(Object.fromEntries(conn.query)).toMatchObject({
      encoding: 'linear16',
      sample_rate: '8000',
      channels: '1',
      model: 'nova-2',
      language: 'en-US',
      interim_results: 'true',
      endpointing: '300',
      smart_format: 'true',
    });
    expect(conn.query.getAll('keywords')).toEqual(['human:2', 'agent:2']);
    expect(conn.query.has('keyterm')).toBe(false);
    expect(conn.audioBytes).toBe(Math.floor(human.samples.length / 160) * 160 * 2);
    expect(conn.closeStreams).toBe(1);
    await vi.waitFor(() => expect(conn.closed?.code).toBe(1000));
    expect(conn.sent.at(-1)?.type).toBe('Metadata');
  });

  it('keeps at most maxQueuedMs of audio while the socket opens, and its times still match the stream', async () => {
    server.fault({ kind: 'slow-upgrade', ms: 300 });
    server.say(SENTENCE);
    try {
      // All of it is written before the socket opens; the first 400 ms (silence) do not fit.
      const keptMs = (human.samples.length / 8000) * 1000 - 400;
      const stream = recognizer({ maxQueuedMs: keptMs }).start({ language: 'en-US', sampleRate: 8000 });
      const done = collect(stream);
      await feed(stream, human);
      stream.end();
      const { results, error } = await done;
      expect(error).toBeUndefined();
      const conn = server.connections.at(-1)!;
      expect(conn.audioBytes).toBeLessThanOrEqual((keptMs / 1000) * 8000 * 2);
      expect(conn.audioBytes).toBeGreaterThan((keptMs / 1000) * 8000 * 2 - 320);
      const final = results.find((r) => r.final);
      expect(final?.text).toBe(SENTENCE);
      // Deepgram counts from the first byte it got; the recogniser adds back what it dropped.
      expect(Math.abs((final?.startMs ?? -1) - human.speechStartMs)).toBeLessThan(100);
    } finally {
      server.fault(undefined);
    }
  });

  it('joins the is_final segments of one utterance until speech_final', async () => {
    const split = await startDeepgramServer({ apiKey: KEY, splitFinals: true });
    try {
      split.say(SENTENCE);
      const stream = recognizer({ url: split.url }).start({ language: 'en-US', sampleRate: 8000 });
      const done = collect(stream);
      await feed(stream, human);
      stream.end();
      const { results, error } = await done;
      expect(error).toBeUndefined();
      // Two segments from endpointing, then the empty answer to the Finalize sent on speechEnded.
      const segments = split.connections[0]!.sent.filter((m) => m.type === 'Results' && m.is_final === true);
      expect(segments.map((m) => [m.speech_final, m.from_finalize])).toEqual([
        [false, false],
        [true, false],
        [false, true],
      ]);
      expect(results.filter((r) => r.final).map((r) => r.text)).toEqual([SENTENCE]);
    } finally {
      await split.close();
    }
  });

  it('sends nova-3 hints as keyterm phrases', async () => {
    server.say(SENTENCE);
    const stream = recognizer({ model: 'nova-3' }).start({
      language: 'en-US',
      sampleRate: 8000,
      hints: { phrases: ['speak to a human'], answers: ['yes', 'no'] },
    });
    const done = collect(stream);
    await feed(stream, human);
    stream.end();
    const { results, error } = await done;
    expect(error).toBeUndefined();
    expect(results.filter((r) => r.final).map((r) => r.text)).toEqual([SENTENCE]);
    const conn = server.connections.at(-1)!;
    expect(conn.query.getAll('keyterm')).toEqual(['speak to a human', 'yes', 'no']);
    expect(conn.query.has('keywords')).toBe(false);
  });

  it('flushes the turn with Finalize on speechEnded instead of waiting for endpointing', async () => {
    server.say(SENTENCE);
    // Endpointing longer than the silence that follows: only Finalize can end the utterance.
    const stream = recognizer({ endpointingMs: 5000 }).start({ language: 'en-US', sampleRate: 8000 });
    const iterator = stream.results[Symbol.asyncIterator]();
    await feed(stream, human);
    let final: RecognitionResult | undefined;
    while (!final) {
      const next = await iterator.next();
      if (next.done) break;
      if (next.value.final) final = next.value;
    }
    expect(final?.text).toBe(SENTENCE);
    const conn = server.connections.at(-1)!;
    expect(conn.finalizes).toBe(1);
    expect(conn.closeStreams).toBe(0); // it came before end()
    expect(conn.sent.some((m) => m.from_finalize === true)).toBe(true);
    stream.end();
    expect((await iterator.next()).done).toBe(true);
  });

  it('keeps a silent stream open with KeepAlive messages past the idle timeout', async () => {
    const strict = await startDeepgramServer({ apiKey: KEY, idleTimeoutMs: 600 });
    try {
      strict.say(SENTENCE);
      const stream = recognizer({ url: strict.url, keepAliveMs: 200 }).start({
        language: 'en-US',
        sampleRate: 8000,
      });
      const done = collect(stream);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await feed(stream, human);
      stream.end();
      const { results, error } = await done;
      expect(error).toBeUndefined();
      expect(results.filter((r) => r.final).map((r) => r.text)).toEqual([SENTENCE]);
      expect(strict.connections[0]!.keepAlives).toBeGreaterThanOrEqual(3);
    } finally {
      await strict.close();
    }
  });

  describe('provider failures end the results with a SpeechProviderError', () => {
    async function failure(
      rec: DeepgramRecognizer,
      spoken: Spoken | undefined = human,
    ): Promise<SpeechProviderError> {
      const stream = rec.start({ language: 'en-US', sampleRate: 8000 });
      const done = collect(stream);
      if (spoken) await feed(stream, spoken);
      stream.end();
      const { error } = await done;
      expect(error).toBeInstanceOf(SpeechProviderError);
      return error as SpeechProviderError;
    }

    it('a provider that is down is unavailable', async () => {
      const err = await failure(recognizer({ url: `ws://127.0.0.1:${await closedPort()}/v1/listen` }));
      expect(err.failure).toBe('unavailable');
      expect(err.provider).toBe('deepgram');
      expect(err.message).toMatch(/ECONNREFUSED/);
    });

    it("a refused key is unauthorized, with Deepgram's message and without the key", async () => {
      server.fault(undefined);
      const wrong = 'dg-wrong-key-77aa';
      const err = await failure(recognizer({ apiKey: wrong }));
      expect(err.failure).toBe('unauthorized');
      expect(err.providerStatus).toBe(401);
      expect(err.message).toContain('Invalid credentials.');
      expect(err.message).not.toContain(wrong);
      expect(JSON.stringify(err.describe())).not.toContain(wrong);
    });

    it('no key configured is unauthorized and names the setting', async () => {
      const err = await failure(recognizer({ apiKey: '' }), undefined);
      expect(err.failure).toBe('unauthorized');
      expect(err.message).toContain('CALLWRIGHT_SPEECH_DEEPGRAM_API_KEY');
    });

    it('a handshake that never completes is a timeout', async () => {
      server.fault({ kind: 'hang-upgrade' });
      try {
        const started = Date.now();
        const err = await failure(recognizer({ timeoutMs: 300 }), undefined);
        expect(err.failure).toBe('timeout');
        expect(Date.now() - started).toBeLessThan(2000);
      } finally {
        server.fault(undefined);
      }
    });

    it('a 5xx answer to the handshake is unavailable, with its body', async () => {
      server.fault({
        kind: 'status',
        status: 503,
        body: '{"err_code":"SERVICE_UNAVAILABLE","err_msg":"Try later."}',
      });
      try {
        const err = await failure(recognizer());
        expect(err.failure).toBe('unavailable');
        expect(err.providerStatus).toBe(503);
        expect(err.message).toContain('Try later.');
      } finally {
        server.fault(undefined);
      }
    });

    it('a close with 1011 mid-stream is unavailable and carries the close reason', async () => {
      server.fault({ kind: 'close-after-audio', ms: 300, code: 1011, reason: 'NET-0000: internal error' });
      try {
        const err = await failure(recognizer());
        expect(err.failure).toBe('unavailable');
        expect(err.message).toContain('NET-0000');
      } finally {
        server.fault(undefined);
      }
    });

    it('a close with 1008 DATA-0000 (audio it cannot decode) is rejected', async () => {
      server.fault({ kind: 'close-after-audio', ms: 300, code: 1008, reason: 'DATA-0000' });
      try {
        const err = await failure(recognizer());
        expect(err.failure).toBe('rejected');
        expect(err.message).toContain('DATA-0000');
      } finally {
        server.fault(undefined);
      }
    });

    it('a provider that never answers CloseStream is a timeout, after the results it did give', async () => {
      server.fault({ kind: 'ignore-close-stream' });
      server.say(SENTENCE);
      try {
        const stream = recognizer({ timeoutMs: 500 }).start({ language: 'en-US', sampleRate: 8000 });
        const done = collect(stream);
        await feed(stream, human);
        stream.end();
        const { results, error } = await done;
        expect(results.filter((r) => r.final).map((r) => r.text)).toEqual([SENTENCE]);
        expect(error).toBeInstanceOf(SpeechProviderError);
        expect((error as SpeechProviderError).failure).toBe('timeout');
      } finally {
        server.fault(undefined);
      }
    });
  });

  it('close() stops open streams without an error', async () => {
    const rec = recognizer();
    const stream = rec.start({ language: 'en-US', sampleRate: 8000 });
    const done = collect(stream);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await rec.close();
    const { error } = await done;
    expect(error).toBeUndefined();
  });
});
