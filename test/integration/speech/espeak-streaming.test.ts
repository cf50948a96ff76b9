import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EspeakProvider, type PcmChunk } from '../../../src/speech/index.js';
import { SpeechProviderError } from '../../../src/speech/speech-error.js';
import { pcmBytes, readWavFile } from '../../../src/speech/synthesis/wav-file.js';
import { tempDir } from '../../helpers/temp.js';

const LONG_TEXT = Array.from(
  { length: 60 },
  (_, i) => `This is sentence number ${i + 1} of a long reply that keeps the synthesiser busy.`,
).join(' ');

describe('espeak-ng streaming synthesis', () => {
  const tmp = tempDir('callwright-espeak-stream-');
  afterAll(() => tmp.cleanup());

  function spawnCapture(): { spawn: typeof spawn; children: ChildProcess[] } {
    const children: ChildProcess[] = [];
    const capture = ((...args: Parameters<typeof spawn>) => {
      const child = spawn(...args);
      children.push(child);
      return child;
    }) as typeof spawn;
    return { spawn: capture, children };
  }

  async function collect(stream: AsyncIterable<PcmChunk>): Promise<PcmChunk[]> {
    const out: PcmChunk[] = [];
    for await (const chunk of stream) out.push(chunk);
    return out;
  }

  async function failure(stream: AsyncIterable<PcmChunk>): Promise<Error> {
    try {
      await collect(stream);
    } catch (err) {
      return err as Error;
    }
    throw new Error('the stream did not fail');
  }

  function exited(child: ChildProcess): Promise<NodeJS.Signals | null> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode);
    return new Promise((resolve) => child.once('close', (_code, signal) => resolve(signal)));
  }

  it('streams the same 22.05 kHz PCM that render() writes to a file', async () => {
    const provider = new EspeakProvider({ voice: 'en-us', timeoutMs: 15000 });
    const request = { text: 'Thank you for calling. Your order has shipped and will arrive on Friday.' };
    const file = path.join(tmp.dir, 'rendered.wav');
    await provider.render(request, file);
    const chunks = await collect(provider.stream(request));
    expect(chunks.every((c) => c.sampleRate === 22050)).toBe(true);
    const streamed = Buffer.concat(chunks.map((c) => pcmBytes(c.samples)));
    const rendered = readWavFile(readFileSync(file));
    expect(rendered.sampleRate).toBe(22050);
    expect(streamed.length).toBeGreaterThan(22050); // over half a second of speech
    expect(streamed.equals(pcmBytes(rendered.samples))).toBe(true);
  });

  it('yields the first audio of a long reply before espeak-ng has finished it', async () => {
    const capture = spawnCapture();
    const provider = new EspeakProvider({ voice: 'en-us', timeoutMs: 15000, spawn: capture.spawn });
    let runningAtFirstChunk: boolean | undefined;
    let chunks = 0;
    for await (const _ of provider.stream({ text: LONG_TEXT })) {
      if (chunks++ === 0) runningAtFirstChunk = capture.children[0]?.exitCode === null;
    }
    expect(runningAtFirstChunk).toBe(true);
    expect(chunks).toBeGreaterThan(10);
  });

  it('kills espeak-ng when the stream is aborted mid-way', async () => {
    const capture = spawnCapture();
    const provider = new EspeakProvider({ voice: 'en-us', timeoutMs: 15000, spawn: capture.spawn });
    const controller = new AbortController();
    const err = await failure(
      (async function* () {
        for await (const chunk of provider.stream({ text: LONG_TEXT }, { signal: controller.signal })) {
          controller.abort();
          yield chunk;
        }
      })(),
    );
    expect(err.message).toMatch(/cancelled/);
    expect(await exited(capture.children[0]!)).toBe('SIGKILL');
  });

  it('ends the stream on abort even when espeak-ng has already written all its audio', async () => {
    const capture = spawnCapture();
    const provider = new EspeakProvider({ voice: 'en-us', timeoutMs: 15000, spawn: capture.spawn });
    const controller = new AbortController();
    let chunks = 0;
    let exitedBeforeAbort: number | null = null;
    const err = await failure(
      (async function* () {
        const text = 'Thank you for calling, please hold while I check that.';
        for await (const chunk of provider.stream({ text }, { signal: controller.signal })) {
          if (++chunks === 1) {
            // The rest of a short reply fits in the pipe: espeak-ng finishes while this chunk is held.
            const child = capture.children[0]!;
            if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
            exitedBeforeAbort = child.exitCode;
            controller.abort();
          }
          yield chunk;
        }
      })(),
    );
    expect(exitedBeforeAbort).toBe(0);
    expect(err.message).toMatch(/cancelled/);
    expect(chunks).toBe(1);
  });

  it('kills espeak-ng when the consumer stops listening', async () => {
    const capture = spawnCapture();
    const provider = new EspeakProvider({ voice: 'en-us', timeoutMs: 15000, spawn: capture.spawn });
    for await (const _ of provider.stream({ text: LONG_TEXT })) break;
    // Killed before it finished: by our SIGKILL, or by the pipe closing first under it.
    expect(['SIGKILL', 'SIGPIPE']).toContain(await exited(capture.children[0]!));
  });

  it('stops a stream that outlives speech.timeout_ms, with a timeout failure', async () => {
    const slow = path.join(tmp.dir, 'slow-tts.sh');
    writeFileSync(slow, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(slow, 0o755);
    const provider = new EspeakProvider({ voice: 'en-us', timeoutMs: 300, command: slow });
    const err = await failure(provider.stream({ text: 'hello' }));
    expect(err).toBeInstanceOf(SpeechProviderError);
    expect((err as SpeechProviderError).failure).toBe('timeout');
    expect(err.message).toMatch(/speech.timeout_ms \(300 ms\)/);
  });

  it('does not count the time a slow consumer holds the audio against speech.timeout_ms', async () => {
    const provider = new EspeakProvider({ voice: 'en-us', timeoutMs: 1000 });
    let samples = 0;
    let held = 0;
    for await (const chunk of provider.stream({ text: LONG_TEXT })) {
      samples += chunk.samples.length;
      if (held < 1600) {
        await new Promise((r) => setTimeout(r, 400));
        held += 400;
      }
    }
    expect(held).toBe(1600);
    expect(samples).toBeGreaterThan(22050 * 60); // a minute of speech, all of it
  });

  it('names the package to install when espeak-ng is missing', async () => {
    const provider = new EspeakProvider({
      voice: 'en-us',
      timeoutMs: 5000,
      command: 'espeak-ng-not-installed',
    });
    const err = await failure(provider.stream({ text: 'hello' }));
    expect((err as SpeechProviderError).failure).toBe('unavailable');
    expect(err.message).toMatch(/Debian package espeak-ng/);
  });

  it('refuses a voice name that is not an espeak-ng voice, before starting anything', async () => {
    const capture = spawnCapture();
    const provider = new EspeakProvider({ voice: 'en-us', timeoutMs: 5000, spawn: capture.spawn });
    const err = await failure(provider.stream({ text: 'hi', voice: 'en; rm -rf /' }));
    expect(err.message).toMatch(/espeak-ng voice name/);
    expect(capture.children).toHaveLength(0);
  });

  it('reports a voice espeak-ng does not have as a rejected request, with its message', async () => {
    const provider = new EspeakProvider({ voice: 'en-us', timeoutMs: 5000 });
    const err = await failure(provider.stream({ text: 'hi', voice: 'xx-nonexistent' }));
    expect((err as SpeechProviderError).failure).toBe('rejected');
    expect(err.message).toMatch(/voice does not exist/);
  });
});
