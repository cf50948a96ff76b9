import type { DtmfStep } from '../../sip/dtmf-digits.js';
import { FRAME_MS } from './media-clock.js';
import { eventCode } from './telephone-event.js';

/** Writes one telephone-event packet (the session owns sockets, sequence numbers and buffers). */
export interface EventWriter {
  sendEvent(code: number, end: boolean, duration: number, marker: boolean, timestamp: number): void;
}

interface Job {
  steps: readonly DtmfStep[];
  durationMs: number;
  resolve: () => void;
}

const GAP_TICKS = 3; // 60 ms between digits, above the 40 ms most receivers need to see two events
const END_PACKETS = 3; // RFC 4733 §2.5.1.4: the final packet is sent three times

type Phase = 'next' | 'tone' | 'pause';

/**
 * Sends queued digits as RFC 4733 events on the media clock: for each digit a first packet with the
 * marker bit, continuation packets every 20 ms with growing duration, then three end packets with
 * the E bit and the final duration, all carrying the event's start timestamp (§2.5.1). Audio is
 * suppressed while a digit sounds and flows in the gaps and `w`/`W` pauses.
 */
export class DtmfSender {
  private readonly queue: Job[] = [];
  private job: Job | null = null;
  private index = 0;
  private phase: Phase = 'next';
  private ticksLeft = 0;
  private code = 0;
  private startTs = 0;
  private packets = 0;
  private totalPackets = 0;

  get active(): boolean {
    return this.job !== null || this.queue.length > 0;
  }

  /** Queues digits and pauses as read by `parseDtmfDigits`; resolves once the last one has gone out. */
  enqueue(steps: readonly DtmfStep[], durationMs: number): Promise<void> {
    return new Promise((resolve) => this.queue.push({ steps, durationMs, resolve }));
  }

  /** Ends everything queued (the session closed). */
  flush(): void {
    this.job?.resolve();
    for (const j of this.queue.splice(0)) j.resolve();
    this.job = null;
  }

  /** One clock tick; true when this tick's packet was an event (no audio frame then). */
  step(writer: EventWriter, timestamp: number): boolean {
    for (;;) {
      if (!this.job) {
        const next = this.queue.shift();
        if (!next) return false;
        this.job = next;
        this.index = 0;
        this.phase = 'next';
      }
      if (this.phase === 'pause') {
        if (--this.ticksLeft > 0) return false;
        this.phase = 'next';
        return false;
      }
      if (this.phase === 'tone') return this.sendTone(writer);
      const step = this.job.steps[this.index++];
      if (step === undefined) {
        this.job.resolve();
        this.job = null;
        continue;
      }
      if (step.kind === 'pause') {
        this.phase = 'pause';
        this.ticksLeft = Math.max(1, Math.round(step.ms / FRAME_MS));
        return false;
      }
      this.code = eventCode(step.digit);
      if (this.code < 0) continue;
      this.phase = 'tone';
      this.startTs = timestamp;
      this.packets = 0;
      this.totalPackets = Math.max(2, Math.round(this.job.durationMs / 20));
      return this.sendTone(writer);
    }
  }

  private sendTone(writer: EventWriter): boolean {
    this.packets++;
    const duration = this.packets * 160;
    if (this.packets < this.totalPackets) {
      writer.sendEvent(this.code, false, duration, this.packets === 1, this.startTs);
      return true;
    }
    for (let i = 0; i < END_PACKETS; i++) writer.sendEvent(this.code, true, duration, false, this.startTs);
    this.phase = 'pause';
    this.ticksLeft = GAP_TICKS + 1;
    return true;
  }
}
