/**
 * Every timer the SIP stack starts goes through here, so stats can show that none leak and stop() can
 * clear whatever is left.
 */
export class TimerRegistry {
  private readonly live = new Set<NodeJS.Timeout>();

  get size(): number {
    return this.live.size;
  }

  set(ms: number, fn: () => void): NodeJS.Timeout {
    const handle = setTimeout(() => {
      this.live.delete(handle);
      fn();
    }, ms);
    this.live.add(handle);
    return handle;
  }

  clear(handle: NodeJS.Timeout | undefined): void {
    if (!handle) return;
    clearTimeout(handle);
    this.live.delete(handle);
  }

  clearAll(): void {
    for (const h of this.live) clearTimeout(h);
    this.live.clear();
  }
}
