/**
 * RFC 4733 telephone-event payloads: the 4-byte event block (§2.3), a receiver that reports each event
 * once, and the packet plan a sender follows.
 */
const DIGITS = '0123456789*#ABCD';

/** Event code (§3.2 table 3) for a DTMF digit, or -1. */
export function eventCode(digit: string): number {
  return DIGITS.indexOf(digit.toUpperCase());
}

function digitOf(code: number): string | null {
  return code >= 0 && code < DIGITS.length ? (DIGITS[code] as string) : null;
}

/** Writes the event block: event, E bit, volume (dBm0 below 0, §2.3.4), duration in timestamp units. */
export function writeEventPayload(
  buf: Uint8Array,
  offset: number,
  code: number,
  end: boolean,
  volume: number,
  duration: number,
): void {
  buf[offset] = code;
  buf[offset + 1] = (end ? 0x80 : 0) | (volume & 0x3f);
  buf[offset + 2] = (duration >>> 8) & 0xff;
  buf[offset + 3] = duration & 0xff;
}

export interface ReceivedDigit {
  digit: string;
  durationMs: number;
}

/** Longest silence inside one event before it counts as ended although no end packet came (§2.5.2). */
const EVENT_GAP_MS = 500;

/**
 * One report per event. An event is identified by its RTP timestamp (§2.5.1.1: all packets of one
 * event share the start timestamp), so the three retransmitted end packets and late continuations
 * after the end are ignored; when every end packet is lost, the event is reported when the next one
 * starts or after EVENT_GAP_MS without packets.
 */
export class TelephoneEventReceiver {
  private currentTs = -1;
  private code = -1;
  private duration = 0;
  private reported = true;
  private lastPacketMs = 0;

  constructor(private readonly onDigit: (digit: ReceivedDigit) => void) {}

  /** Feeds one payload; reports through `onDigit` when an event ends. */
  receive(buf: Uint8Array, offset: number, length: number, timestamp: number, nowMs: number): void {
    if (length < 4) return;
    const code = buf[offset] as number;
    const end = ((buf[offset + 1] as number) & 0x80) !== 0;
    const duration = ((buf[offset + 2] as number) << 8) | (buf[offset + 3] as number);
    this.lastPacketMs = nowMs;
    if (timestamp === this.currentTs) {
      if (this.reported) return;
      if (duration > this.duration) this.duration = duration;
      if (end) this.report();
      return;
    }
    if (!this.reported) this.report();
    this.currentTs = timestamp;
    this.code = code;
    this.duration = duration;
    this.reported = false;
    if (end) this.report();
  }

  /** Called on clock ticks while an event is open, to close one whose end packets were all lost. */
  poll(nowMs: number): void {
    if (!this.reported && nowMs - this.lastPacketMs >= EVENT_GAP_MS) this.report();
  }

  get open(): boolean {
    return !this.reported;
  }

  private report(): void {
    this.reported = true;
    const digit = digitOf(this.code);
    if (digit !== null) this.onDigit({ digit, durationMs: Math.round(this.duration / 8) });
  }
}
