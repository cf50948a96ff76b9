import { describe, expect, it } from 'vitest';
import { httpError, retryAfterMs } from '../../../../src/integrations/llm/chat-client.js';

const now = Date.parse('2026-12-05T22:00:00Z');

describe('retryAfterMs', () => {
  it.each([
    [{ 'retry-after-ms': '1500', 'retry-after': '9' }, 1500],
    [{ 'retry-after': '30' }, 30000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after': 'Sat, 05 Dec 2026 22:00:07 GMT' }, 7000],
    [{ 'retry-after': 'Sat, 05 Dec 2026 21:59:00 GMT' }, 0],
    [{ 'retry-after': 'soon' }, undefined],
    [{}, undefined],
  ])('reads %j as %s ms', (headers, expected) => {
    expect(retryAfterMs(new Headers(headers as Record<string, string>), now)).toBe(expected);
  });

  it('is carried by the LLM_HTTP error of a 429', () => {
    const err = httpError(
      429,
      '{"error":{"message":"Rate limit reached"}}',
      new Headers({ 'retry-after': '2' }),
    );
    expect(err).toMatchObject({ code: 'LLM_HTTP', status: 429, retryable: true, retryAfterMs: 2000 });
    expect(err.message).toBe('LLM server answered 429: Rate limit reached');
  });
});
