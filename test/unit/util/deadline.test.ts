import { describe, expect, it } from 'vitest';
import { deadline } from '../../../src/util/deadline.js';

describe('deadline', () => {
  it('aborts with a TimeoutError once the time is up, and says so', async () => {
    const d = deadline(20);
    expect(d.signal.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(d.signal.aborted).toBe(true);
    expect(d.timedOut).toBe(true);
    expect((d.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('fires even when nothing but the request holds the signal (the timer is strongly held)', async () => {
    const d = deadline(30, new AbortController().signal);
    const seen = new Promise<string>((resolve) =>
      d.signal.addEventListener('abort', () => resolve((d.signal.reason as DOMException).name)),
    );
    (globalThis as { gc?: () => void }).gc?.();
    await expect(seen).resolves.toBe('TimeoutError');
  });

  it("follows the caller's signal without counting it as a timeout", () => {
    const caller = new AbortController();
    const d = deadline(10_000, caller.signal, undefined);
    caller.abort(new Error('hung up'));
    expect(d.signal.aborted).toBe(true);
    expect(d.timedOut).toBe(false);
    d.clear();
  });

  it('clear() stops the timer', async () => {
    const d = deadline(20);
    d.clear();
    await new Promise((r) => setTimeout(r, 50));
    expect(d.signal.aborted).toBe(false);
  });
});
