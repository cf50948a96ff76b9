import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '../../../../src/integrations/llm/sse-parser.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Feeds the stream in pieces of `size` bytes and collects every event. */
function parseInPieces(stream: Uint8Array, size: number): SseEvent[] {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for (let i = 0; i < stream.length; i += size) events.push(...parser.push(stream.subarray(i, i + size)));
  events.push(...parser.end());
  return events;
}

const twoFrames = 'data: {"a":"café ☕"}\n\ndata: [DONE]\n\n';

describe('SseParser', () => {
  it('yields several frames that arrive in one chunk', () => {
    expect(parseInPieces(bytes(twoFrames), 1000).map((e) => e.data)).toEqual(['{"a":"café ☕"}', '[DONE]']);
  });

  it.each([1, 2, 3, 5, 7])('yields the same frames when the bytes arrive %i at a time', (size) => {
    // 1-byte pieces split "é" (2 bytes) and "☕" (3 bytes) inside the character.
    expect(parseInPieces(bytes(twoFrames), size).map((e) => e.data)).toEqual(['{"a":"café ☕"}', '[DONE]']);
  });

  it.each([
    ['CRLF', '\r\n'],
    ['CR', '\r'],
    ['LF', '\n'],
  ])('accepts %s line ends, also split between CR and LF', (_name, eol) => {
    const stream = bytes(`data: one${eol}${eol}data: two${eol}${eol}`);
    for (const size of [1, 2, 100]) {
      expect(parseInPieces(stream, size).map((e) => e.data)).toEqual(['one', 'two']);
    }
  });

  it('skips comment lines such as keep-alive pings', () => {
    const stream = bytes(': ping\n\n: OPENROUTER PROCESSING\ndata: x\n\n');
    expect(parseInPieces(stream, 4)).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('joins several data lines with LF and keeps the event name and id', () => {
    const stream = bytes('event: error\nid: 7\ndata: first\ndata:second\n\n');
    expect(parseInPieces(stream, 3)).toEqual([{ event: 'error', data: 'first\nsecond', id: '7' }]);
  });

  it('strips only one space after the colon and ignores a leading BOM', () => {
    const stream = bytes('\uFEFFdata:  two spaces\n\n');
    expect(parseInPieces(stream, 1).map((e) => e.data)).toEqual([' two spaces']);
  });

  it('takes a field line without a colon as the field name with an empty value', () => {
    expect(parseInPieces(bytes('data\n\n'), 2).map((e) => e.data)).toEqual(['']);
  });

  it('discards a frame that the body cut before its blank line', () => {
    expect(parseInPieces(bytes('data: whole\n\ndata: {"cut":'), 5).map((e) => e.data)).toEqual(['whole']);
  });
});
