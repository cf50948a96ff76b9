/**
 * Receive-side jitter buffer placed by RTP timestamp (RFC 3550 §5.1: the timestamp is the sampling
 * instant). Packets of any size (20 or 30 ms) land at their timestamp in a ring of decoded samples;
 * the media clock reads 160 samples per tick, a fixed delay behind the first packet. Reordered packets
 * fill their slot if they arrive before it is read; later ones are dropped. A stream that stops (hold,
 * silence suppression) or jumps resynchronises on its next packet.
 */
const RING = 4096; // 512 ms at 8 kHz, a power of two for masking
const FRAME = 160;
const MASK = RING - 1;
/** Playout delay: absorbs arrival jitter up to this much (ms) at the cost of latency. */
const DELAY_SAMPLES = 320;
/** Deeper than this (the sender's clock runs fast), skip a frame to pull latency back. */
const MAX_DEPTH = DELAY_SAMPLES + 160 * 6;
/**
 * Reads over which the smallest depth is watched (500 ms). Steady arrivals never leave more than the
 * playout delay plus one packet at the lowest point; held a frame above that for the whole window, the
 * extra is delay a stall added (a late burst from the sender, or ticks this side skipped). One frame is
 * dropped per window until it is gone, so a hiccup does not slow every later turn of the conversation.
 */
const DRAIN_WINDOW = 25;
/** Ticks with nothing buffered before the stream counts as stopped. */
const IDLE_TICKS = 3;

export class PlayoutBuffer {
  private readonly ring = new Int16Array(RING);
  private readIndex = 0;
  private readTs = 0;
  /** Timestamp just past the newest sample written. */
  private endTs = 0;
  private started = false;
  private starved = 0;
  private lateRun = 0;
  private minDepth = Infinity;
  private windowReads = 0;
  /** Largest packet seen (samples): the depth steady arrivals may leave at the lowest point. */
  private largest = FRAME;
  late = 0;

  /** Offset of `ts` from the read position as a signed 32-bit distance (timestamps wrap). */
  private distance(ts: number): number {
    return (ts - this.readTs) | 0;
  }

  private resync(ts: number): void {
    this.ring.fill(0);
    this.readIndex = 0;
    this.readTs = (ts - DELAY_SAMPLES) >>> 0;
    this.endTs = ts;
    this.started = true;
    this.starved = 0;
    this.lateRun = 0;
    this.minDepth = Infinity;
    this.windowReads = 0;
  }

  /** Decodes `count` codes through `table` into the slot of `timestamp`. */
  write(timestamp: number, table: Int16Array, src: Uint8Array, offset: number, count: number): void {
    if (!this.started || this.starved >= IDLE_TICKS) this.resync(timestamp);
    let d = this.distance(timestamp);
    if (d < 0) {
      this.late++;
      // A run of late packets means the sender's clock is slow or it jumped back: follow it.
      if (++this.lateRun < 4) return;
      this.resync(timestamp);
      d = this.distance(timestamp);
    } else if (d + count > RING) {
      this.resync(timestamp);
      d = this.distance(timestamp);
    }
    this.lateRun = 0;
    if (count > this.largest) this.largest = count;
    const ring = this.ring;
    let idx = (this.readIndex + d) & MASK;
    for (let i = 0; i < count; i++) {
      ring[idx] = table[src[offset + i] as number] as number;
      idx = (idx + 1) & MASK;
    }
    const end = (timestamp + count) >>> 0;
    if (((end - this.endTs) | 0) > 0) this.endTs = end;
  }

  /** Reads one 20 ms frame into `out`; false (and zeros) when nothing was buffered for it. */
  read(out: Int16Array): boolean {
    if (!this.started) {
      out.fill(0);
      return false;
    }
    const depth = (this.endTs - this.readTs) | 0;
    if (depth <= 0) {
      // Starved: hold the read position (a slow sender clock) and give silence.
      this.starved++;
      out.fill(0);
      return false;
    }
    this.starved = 0;
    if (depth > MAX_DEPTH) this.advance(FRAME);
    if (depth < this.minDepth) this.minDepth = depth;
    if (++this.windowReads >= DRAIN_WINDOW) {
      if (this.minDepth >= DELAY_SAMPLES + this.largest + FRAME && depth <= MAX_DEPTH) this.advance(FRAME);
      this.minDepth = Infinity;
      this.windowReads = 0;
    }
    const ring = this.ring;
    let idx = this.readIndex;
    for (let i = 0; i < FRAME; i++) {
      out[i] = ring[idx] as number;
      ring[idx] = 0;
      idx = (idx + 1) & MASK;
    }
    this.readIndex = idx;
    this.readTs = (this.readTs + FRAME) >>> 0;
    return true;
  }

  private advance(samples: number): void {
    const ring = this.ring;
    let idx = this.readIndex;
    for (let i = 0; i < samples; i++) {
      ring[idx] = 0;
      idx = (idx + 1) & MASK;
    }
    this.readIndex = idx;
    this.readTs = (this.readTs + samples) >>> 0;
  }

  reset(): void {
    this.started = false;
  }
}
