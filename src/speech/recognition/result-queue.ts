import type { RecognitionResult } from '../speech-recognizer.js';

/**
 * The `results` side of a recognition stream: results are pushed as the provider gives them and read
 * through one async iterator. `fail` ends it with the provider's error, which the reader gets after
 * the results already queued (they were heard before the failure).
 */
export class ResultQueue implements AsyncIterable<RecognitionResult> {
  private readonly items: RecognitionResult[] = [];
  private waiter: (() => void) | undefined;
  private done = false;
  private error: Error | undefined;

  get finished(): boolean {
    return this.done;
  }

  push(result: RecognitionResult): void {
    if (this.done) return;
    this.items.push(result);
    this.wake();
  }

  /** No more results. */
  close(): void {
    if (this.done) return;
    this.done = true;
    this.wake();
  }

  fail(error: Error): void {
    if (this.done) return;
    this.error = error;
    this.done = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecognitionResult> {
    for (;;) {
      const next = this.items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.done) {
        if (this.error) throw this.error;
        return;
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}
