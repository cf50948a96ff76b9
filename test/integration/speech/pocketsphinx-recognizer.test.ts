import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PocketsphinxRecognizer } from '../../../src/speech/recognition/pocketsphinx-recognizer.js';
import { SpeechProviderError } from '../../../src/speech/speech-error.js';
import type { RecognitionHints, RecognitionResult } from '../../../src/speech/speech-recognizer.js';
import { feed, speak } from '../../helpers/speech-providers/spoken-audio.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pocketsphinx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MODEL = '/usr/share/pocketsphinx/model/en-us';
let recognizer: PocketsphinxRecognizer | undefined;
afterEach(async () => {
  await recognizer?.close();
  recognizer = undefined;
});

function make(options: { decoders?: number; queueTimeoutMs?: number; python?: string } = {}) {
  recognizer = new PocketsphinxRecognizer({
    python: options.python ?? '/usr/bin/python3',
    modelDir: MODEL,
    decoders: options.decoders ?? 1,
    ...(options.queueTimeoutMs !== undefined ? { queueTimeoutMs: options.queueTimeoutMs } : {}),
  });
  return recognizer;
}

/** Runs one utterance through a stream with the detector's marks; returns the results. */
async function hear(r: PocketsphinxRecognizer, text: string, hints: RecognitionHints, name: string) {
  const spoken = speak(text, dir, name, 400, 800);
  const stream = r.start({ language: 'en-US', sampleRate: 8000, hints });
  // Frames and the detector's marks in the order a call gives them (one reused frame buffer).
  await feed(stream, spoken, { endOfTurnMs: 700 });
  stream.end();
  const out: RecognitionResult[] = [];
  for await (const result of stream.results) out.push(result);
  return { out, spoken };
}

describe('pocketsphinx (offline recogniser, Debian model and Python module)', () => {
  it('finds an intent phrase inside a sentence, with offsets in the stream', async () => {
    const { out, spoken } = await hear(
      make(),
      'I would like to speak to a human please',
      { phrases: ['speak to a human', 'cancel my appointment'] },
      'human',
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ text: 'speak to a human', final: true });
    expect(out[0]!.startMs).toBeLessThanOrEqual(spoken.speechStartMs);
    expect(out[0]!.endMs).toBeGreaterThanOrEqual(spoken.speechEndMs);
  }, 60_000);

  it.each(['yes', 'no'])(
    'hears "%s" against the answers a question expects',
    async (answer) => {
      const { out } = await hear(make(), answer, { phrases: [], answers: ['yes', 'no'] }, answer);
      expect(out.map((r) => r.text)).toEqual([answer]);
    },
    60_000,
  );

  it('fails utterances that wait too long for a decoder with a timeout, and drops those of ended streams', async () => {
    const r = make({ decoders: 1, queueTimeoutMs: 300 });
    const spoken = speak('what is the weather like in the city today', dir, 'weather', 0, 0);
    const outcomes = await Promise.allSettled(
      [0, 1, 2, 3].map(() => r.decode(spoken.samples, { phrases: [] })),
    );
    expect(outcomes[0]?.status).toBe('fulfilled');
    const failed = outcomes
      .filter((o) => o.status === 'rejected')
      .map((o) => (o as PromiseRejectedResult).reason);
    expect(failed.length).toBeGreaterThan(0);
    for (const err of failed) {
      expect(err).toBeInstanceOf(SpeechProviderError);
      expect((err as SpeechProviderError).failure).toBe('timeout');
      expect((err as Error).message).toMatch(/overloaded/);
    }
    const abandoned = r.decode(spoken.samples, { phrases: [] }, () => true);
    await expect(abandoned).rejects.toMatchObject({ failure: 'rejected' });
  }, 60_000);

  it('spot hints: a phrase is found where it was said, and not forced onto speech without one', async () => {
    const hints = { phrases: ['leave a message', "you've reached"], spot: true };
    const said = await hear(make(), "hi you've reached sam please leave a message", hints, 'spot-greeting');
    expect(said.out.map((r) => r.text).join(' ')).toMatch(/leave a message|you've reached/);
    const none = await hear(recognizer!, 'hello who is this', hints, 'spot-hello');
    expect(none.out.map((r) => r.text).join(' ')).not.toMatch(/leave a message|you've reached/);
  }, 60_000);

  it('a stream with a signal still decodes its last utterance after end(), queued behind a busy decoder', async () => {
    const r = make({ decoders: 1 });
    const busy = speak('what is the weather like in the city today', dir, 'busy', 0, 0);
    const occupied = r.decode(busy.samples, { phrases: [] });
    const controller = new AbortController();
    const { out } = await (async () => {
      const spoken = speak('yes', dir, 'queued', 400, 800);
      const stream = r.start({
        language: 'en-US',
        sampleRate: 8000,
        hints: { phrases: [], answers: ['yes', 'no'] },
        signal: controller.signal,
      });
      await feed(stream, spoken, { endOfTurnMs: 700 });
      stream.end();
      const results: RecognitionResult[] = [];
      for await (const result of stream.results) results.push(result);
      return { out: results };
    })();
    await occupied;
    expect(out.map((x) => x.text)).toEqual(['yes']);
  }, 60_000);

  it('a missing Python fails the stream as unavailable, naming the setting and the packages', async () => {
    const r = make({ python: '/nonexistent/python3' });
    const { out } = await hear(r, 'hello', { phrases: [] }, 'hello').catch((err: unknown) => ({
      out: [err],
    }));
    const err = out[0] as SpeechProviderError;
    expect(err).toBeInstanceOf(SpeechProviderError);
    expect(err.failure).toBe('unavailable');
    expect(err.message).toMatch(/speech\.pocketsphinx\.python/);
    expect(err.message).toMatch(/python3-pocketsphinx/);
  }, 60_000);

  it('refuses a language the packaged model does not speak', async () => {
    const stream = make().start({ language: 'de-DE', sampleRate: 8000 });
    await expect(
      (async () => {
        for await (const _ of stream.results) return;
      })(),
    ).rejects.toMatchObject({ failure: 'rejected' });
  });
});
