/**
 * Text pieces handed from a producer (a model's token stream, read as fast as it comes) to one reader
 * (the sentence cutter in front of speech). The reader can stop early (barge-in); pieces pushed after
 * that are dropped.
 */
export class TextQueue implements AsyncIterable<string> {
  private pieces: string[] = [];
  private ended = false;
  private wake: (() => void) | undefined;
  private readonly firstSeen: Promise<boolean>;
  private settleFirst!: (hasText: boolean) => void;

  constructor() {
    this.firstSeen = new Promise((r) => (this.settleFirst = r));
  }

  push(text: string): void {
    if (this.ended || !text) return;
    this.pieces.push(text);
    this.settleFirst(true);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.settleFirst(false);
    this.wake?.();
  }

  /** True once a piece came, false when it ended with none. */
  hasText(): Promise<boolean> {
    return this.firstSeen;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      const piece = this.pieces.shift();
      if (piece !== undefined) {
        yield piece;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}
