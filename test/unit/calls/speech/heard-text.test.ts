import { describe, expect, it } from 'vitest';
import { heardText } from '../../../../src/calls/speech/heard-text.js';
import { spokenStream } from '../../../../src/calls/speech/spoken-stream.js';
import type { PcmChunk, StreamingSynthesizer } from '../../../../src/speech/speech-synthesizer.js';

describe('what the caller heard of a line', () => {
  it.each([
    ['Hello there, how are you today?', 0, 1000, ''],
    ['Hello there, how are you today?', 1000, 1000, 'Hello there, how are you today?'],
    ['Hello there, how are you today?', 500, 1000, 'Hello there,…'],
    ['Hello there', 100, 1000, ''],
  ])('%j after %i of %i ms → %j', (text, heard, total, want) => {
    expect(heardText(text, heard, total)).toBe(want);
  });

  it('a streamed line is cut by the sentences the caller heard', async () => {
    // 1 s of audio per sentence at 8 kHz.
    const synth: StreamingSynthesizer = {
      provider: 'test',
      async *stream(): AsyncIterable<PcmChunk> {
        yield { samples: new Int16Array(8000), sampleRate: 8000 };
      },
    };
    const spoken = spokenStream(
      'First sentence here. Second sentence is longer than that. Third.',
      {},
      synth,
      undefined,
      () => undefined,
      new AbortController().signal,
    );
    const source = spoken.source;
    if (source.kind !== 'stream') throw new Error('expected a stream');
    let segments = 0;
    for await (const segment of source.segments) {
      for await (const chunk of segment) expect(chunk.samples.length).toBe(8000);
      if (++segments === 2) break;
    }
    expect(spoken.heard(1500)).toBe('First sentence here. Second sentence is…');
    expect(spoken.heard(2000)).toBe('First sentence here. Second sentence is longer than that.');
  });

  it('a failing synthesiser hands the rest of the line to the fallback and reports why', async () => {
    const failing: StreamingSynthesizer = {
      provider: 'cloud',
      // eslint-disable-next-line require-yield
      async *stream(): AsyncIterable<PcmChunk> {
        throw new Error('provider down');
      },
    };
    const fallback: StreamingSynthesizer = {
      provider: 'espeak',
      async *stream(): AsyncIterable<PcmChunk> {
        yield { samples: new Int16Array(160), sampleRate: 8000 };
      },
    };
    const failures: string[] = [];
    const spoken = spokenStream(
      'One. Two.',
      { voice: 'alloy' },
      failing,
      fallback,
      (err) => failures.push((err as Error).message),
      new AbortController().signal,
    );
    if (spoken.source.kind !== 'stream') throw new Error('expected a stream');
    let chunks = 0;
    for await (const segment of spoken.source.segments) for await (const _ of segment) chunks++;
    expect(chunks).toBe(2);
    expect(failures).toEqual(['provider down']);
  });
});
