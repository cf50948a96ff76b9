import type { GatherCommand } from '../agent/agent.js';

export interface GatherResult {
  input: 'dtmf' | 'speech' | 'timeout' | 'hangup';
  digits?: string;
  text?: string;
}

/**
 * One pending gather: collects keys (starting with those typed ahead) until `max_digits`, the finish
 * key or the inter-digit gap, or takes the first final caller transcript line; resolves `timeout` when
 * nothing comes within `timeout_ms`. Every wait has a timer; `cancel` ends it (the caller hung up).
 */
export class DtmfGather {
  readonly done: Promise<GatherResult>;
  private digits = '';
  private timer: NodeJS.Timeout | undefined;
  private resolve!: (r: GatherResult) => void;
  private settled = false;

  constructor(
    private readonly cmd: GatherCommand,
    typeahead: string,
  ) {
    this.done = new Promise((r) => (this.resolve = r));
    this.arm(cmd.timeout_ms ?? 5000);
    for (const d of typeahead) this.digit(d);
  }

  get wantsDigits(): boolean {
    return this.cmd.input !== 'speech';
  }

  get wantsSpeech(): boolean {
    return this.cmd.input !== 'dtmf';
  }

  digit(d: string): void {
    if (this.settled || !this.wantsDigits) return;
    if (this.cmd.finish_on_key && d === this.cmd.finish_on_key) return this.finishDigits();
    this.digits += d;
    if (this.digits.length >= (this.cmd.max_digits ?? 1)) return this.finishDigits();
    this.arm(this.cmd.inter_digit_timeout_ms ?? 3000);
  }

  speech(text: string): void {
    if (this.settled || !this.wantsSpeech || this.digits) return;
    this.settle({ input: 'speech', text });
  }

  cancel(): void {
    this.settle({ input: 'hangup', ...(this.digits ? { digits: this.digits } : {}) });
  }

  private finishDigits(): void {
    this.settle(this.digits ? { input: 'dtmf', digits: this.digits } : { input: 'timeout' });
  }

  private arm(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.finishDigits(), ms);
  }

  private settle(r: GatherResult): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.resolve(r);
  }
}
