/** Fixed-bucket histogram of frame lateness: O(1) per sample, no allocation, percentiles on demand. */
const BUCKET_MS = 0.05;
const BUCKETS = 4000; // 0-200 ms; later frames land in the last bucket

export class LatenessHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  private total = 0;
  private maxMs = 0;

  add(ms: number): void {
    const v = ms > 0 ? ms : 0;
    let b = (v / BUCKET_MS) | 0;
    if (b >= BUCKETS) b = BUCKETS - 1;
    this.counts[b] = (this.counts[b] as number) + 1;
    this.total++;
    if (v > this.maxMs) this.maxMs = v;
  }

  /** Upper edge of the bucket holding the q-th quantile (0..1), in ms. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.ceil(q * this.total);
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b] as number;
      if (seen >= rank) return Math.min((b + 1) * BUCKET_MS, this.maxMs);
    }
    return this.maxMs;
  }

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maxMs;
  }

  /** The raw counts, to merge histograms kept on other threads. */
  snapshot(): { counts: Uint32Array; total: number; maxMs: number } {
    return { counts: this.counts.slice(), total: this.total, maxMs: this.maxMs };
  }

  merge(other: { counts: Uint32Array; total: number; maxMs: number }): void {
    const n = Math.min(other.counts.length, BUCKETS);
    for (let b = 0; b < n; b++) this.counts[b] = (this.counts[b] as number) + (other.counts[b] as number);
    this.total += other.total;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.maxMs = 0;
  }
}
