import type { RecognitionResult } from '../speech-recognizer.js';

/**
 * The results side of a recognition stream: pushed as they come, read with `for await`; `fail` makes
 * the reader's loop throw (after the results before it), `close` ends it.
 */
export class ResultQueue implements AsyncIterable<RecognitionResult> {
  private readonly items: RecognitionResult[] = [];
  private waiting: (() => void) | null = null;
  private done = false;
  private error: Error | null = null;

  push(result: RecognitionResult): void {
    if (this.done) return;
    this.items.push(result);
    this.wake();
  }

  fail(err: Error): void {
    if (this.done) return;
    this.error = err;
    this.done = true;
    this.wake();
  }

  close(): void {
    this.done = true;
    this.wake();
  }

  get finished(): boolean {
    return this.done;
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = null;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecognitionResult> {
    for (;;) {
      const next = this.items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.error) throw this.error;
      if (this.done) return;
      await new Promise<void>((r) => (this.waiting = r));
    }
  }
}
