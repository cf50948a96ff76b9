/**
 * In-process fakes of the telephony port (CallLeg, Telephony) for unit tests of call flows. They follow
 * port.ts: operations on an ended leg throw LegEndedError, `ended` resolves once, hangup emits once,
 * dial honours ringTimeoutMs (no-answer 487) and its AbortSignal (cancelled), plays end with `hangup`
 * when the leg ends and `interrupted` on stopPlayback or a digit when interruptible.
 */
import { writeFileSync } from 'node:fs';
import wavefile from 'wavefile';
import type { CallHandle } from '../../src/actions/action-type.js';
import {
  LegEndedError,
  type CallInfo,
  type CallLeg,
  type CallLegEvents,
  type DialOutcome,
  type DialRequest,
  type HangupCause,
  type HangupEvent,
  type InboundCall,
  type Listener,
  type MediaSource,
  type PlayOptions,
  type PlayOutcome,
  type Readiness,
  type RecordOptions,
  type RecordOutcome,
  type ReferOptions,
  type ReferOutcome,
  type SendDtmfOptions,
  type Telephony,
  type TelephonyStats,
} from '../../src/telephony/port.js';

let nextId = 1;

export interface FakeLegOptions {
  direction?: 'inbound' | 'outbound';
  from?: string;
  to?: string;
  trunk?: string;
  /** How long each play lasts (ms); 0 = completes at once. */
  playMs?: number;
  /** What `refer` resolves with (after `referDelayMs`). */
  referOutcome?: ReferOutcome;
  referDelayMs?: number;
  /** Length of the WAV `record` writes (the caller "speaks" this long), and why it ends. */
  recordMs?: number;
  recordReason?: RecordOutcome['reason'];
}

export class FakeLeg implements CallLeg {
  readonly info: CallInfo;
  /** Everything done to the leg, in order: `play:speech:Hello`, `hold`, `bridge:<id>`, `refer:<uri>` … */
  readonly ops: string[] = [];
  readonly referOptions: ReferOptions[] = [];
  readonly dtmfSent: Array<{ digits: string; method?: string; at: number }> = [];
  bridgedTo?: CallLeg;
  held = false;
  private isActive = true;
  private resolveEnded!: (e: HangupEvent) => void;
  readonly ended: Promise<HangupEvent>;
  private readonly listeners = new Map<string, Set<Listener<unknown>>>();
  private playing?: (o: PlayOutcome) => void;

  constructor(readonly options: FakeLegOptions = {}) {
    const id = `leg-${nextId++}`;
    const from = options.from ?? '+14155550100';
    const to = options.to ?? '+14155550199';
    this.info = {
      id,
      sipCallId: `${id}@fake`,
      direction: options.direction ?? 'inbound',
      from: { uri: `sip:${from}@peer.example`, user: from },
      to: { uri: `sip:${to}@callwright.example`, user: to },
      requestUri: `sip:${to}@callwright.example`,
      remoteAddress: '192.0.2.10:5060',
      headers: {},
      ...(options.trunk ? { trunk: options.trunk } : {}),
    };
    this.ended = new Promise((r) => (this.resolveEnded = r));
  }

  get active(): boolean {
    return this.isActive;
  }

  private ensure(op: string): void {
    if (!this.isActive) throw new LegEndedError(this.info.id, op);
  }

  on<K extends keyof CallLegEvents>(event: K, listener: Listener<CallLegEvents[K]>): void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener as Listener<unknown>);
    this.listeners.set(event, set);
  }

  off<K extends keyof CallLegEvents>(event: K, listener: Listener<CallLegEvents[K]>): void {
    this.listeners.get(event)?.delete(listener as Listener<unknown>);
  }

  emit<K extends keyof CallLegEvents>(event: K, value: CallLegEvents[K]): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) l(value);
  }

  async play(source: MediaSource, options: PlayOptions = {}): Promise<PlayOutcome> {
    this.ensure('play');
    const what =
      source.kind === 'speech' ? source.text : source.kind === 'file' ? source.path : `${source.durationMs}`;
    this.ops.push(`play:${source.kind}:${what}`);
    const ms = this.options.playMs ?? 0;
    if (ms === 0) return { status: 'completed', durationMs: 0 };
    return new Promise<PlayOutcome>((resolve) => {
      const timer = setTimeout(() => finish({ status: 'completed', durationMs: ms }), ms);
      const onDigit = (e: { digit: string }): void =>
        finish({ status: 'interrupted', durationMs: 0, digit: e.digit });
      const finish = (o: PlayOutcome): void => {
        clearTimeout(timer);
        this.off('dtmf', onDigit);
        if (this.playing === finish) this.playing = undefined;
        resolve(o);
      };
      if (options.interruptOnDtmf) this.on('dtmf', onDigit);
      this.playing = finish;
    });
  }

  stopPlayback(): void {
    this.playing?.({ status: 'interrupted', durationMs: 0 });
  }

  async record(options: RecordOptions): Promise<RecordOutcome> {
    this.ensure('record');
    this.ops.push(`record:${options.beep ? 'beep' : 'nobeep'}:${options.maxDurationMs}`);
    const ms = Math.min(this.options.recordMs ?? 1000, options.maxDurationMs);
    const wav = new wavefile.WaveFile();
    wav.fromScratch(1, 8000, '16', new Int16Array(Math.round(ms * 8)).fill(1000));
    writeFileSync(options.path, wav.toBuffer());
    return { reason: this.options.recordReason ?? 'silence', path: options.path, durationMs: ms };
  }

  async sendDtmf(digits: string, options: SendDtmfOptions = {}): Promise<void> {
    this.ensure('sendDtmf');
    this.ops.push(`dtmf:${digits}:${options.method ?? 'default'}`);
    this.dtmfSent.push({ digits, ...(options.method ? { method: options.method } : {}), at: Date.now() });
  }

  async refer(target: string, options: ReferOptions = {}): Promise<ReferOutcome> {
    this.ensure('refer');
    this.ops.push(`refer:${target}`);
    this.referOptions.push(options);
    if (this.options.referDelayMs) await new Promise((r) => setTimeout(r, this.options.referDelayMs));
    return this.options.referOutcome ?? { outcome: 'completed', status: 200 };
  }

  async bridge(other: CallLeg): Promise<void> {
    this.ensure('bridge');
    if (!other.active) throw new LegEndedError(other.info.id, 'bridge');
    this.ops.push(`bridge:${other.info.id}`);
    this.stopPlayback();
    this.bridgedTo = other;
    if (other instanceof FakeLeg) other.bridgedTo = this;
  }

  async unbridge(): Promise<void> {
    this.ops.push('unbridge');
    this.bridgedTo = undefined;
  }

  async hold(music?: MediaSource): Promise<void> {
    this.ensure('hold');
    this.ops.push(`hold${music?.kind === 'file' ? `:${music.path}` : ''}`);
    this.held = true;
  }

  async unhold(): Promise<void> {
    if (!this.isActive || !this.held) return;
    this.ops.push('unhold');
    this.held = false;
  }

  async hangup(cause: HangupCause = 'normal'): Promise<void> {
    if (!this.isActive) return;
    this.ops.push(`hangup:${cause}`);
    this.end({ by: 'local', cause });
  }

  /** The far end hangs up. */
  remoteHangup(cause: HangupCause = 'normal'): void {
    this.end({ by: 'remote', cause });
  }

  /** The far end presses a key. */
  press(digit: string): void {
    this.emit('dtmf', { digit, method: 'rfc4733' });
  }

  private end(e: HangupEvent): void {
    if (!this.isActive) return;
    this.isActive = false;
    this.playing?.({ status: 'hangup', durationMs: 0 });
    this.resolveEnded(e);
    this.emit('hangup', e);
  }
}

/** How a dialled target behaves. */
export interface DialBehaviour {
  /** Answer after this long (ms). */
  answerAfterMs?: number;
  /** Fail this way after `afterMs` instead of answering. */
  fail?: Exclude<DialOutcome, { outcome: 'answered' }>;
  afterMs?: number;
  /** Never answers: only the ring timeout or a cancel ends the attempt. */
  neverAnswer?: boolean;
  /** Options of the answered leg (playMs …); `onAnswer` scripts the callee (press 1, hang up …). */
  leg?: FakeLegOptions;
  onAnswer?: (leg: FakeLeg) => void;
}

export class FakeTelephony implements Telephony {
  readonly name = 'embedded' as const;
  readonly dials: Array<DialRequest & { at: number; outcome?: DialOutcome['outcome'] }> = [];
  readonly answered: FakeLeg[] = [];
  private readonly behaviours = new Map<string, DialBehaviour>();

  /** Scripts what dialling `target` does (exact string of DialRequest.target). */
  script(target: string, behaviour: DialBehaviour): this {
    this.behaviours.set(target, behaviour);
    return this;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  onInbound(_handler: (call: InboundCall) => void | Promise<void>): void {}
  stats(): TelephonyStats {
    return { activeCalls: this.answered.filter((l) => l.active).length, activeDialogs: 0 };
  }
  readiness(): Readiness {
    return { ready: true };
  }

  dial(request: DialRequest): Promise<DialOutcome> {
    const entry: DialRequest & { at: number; outcome?: DialOutcome['outcome'] } = {
      ...request,
      at: Date.now(),
    };
    this.dials.push(entry);
    const b = this.behaviours.get(request.target) ?? {
      fail: { outcome: 'failed', error: `no route to ${request.target}` },
    };
    const ring = request.ringTimeoutMs ?? 30_000;
    return new Promise<DialOutcome>((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      const finish = (o: DialOutcome): void => {
        timers.forEach(clearTimeout);
        request.signal?.removeEventListener('abort', onAbort);
        entry.outcome = o.outcome;
        resolve(o);
      };
      const onAbort = (): void => finish({ outcome: 'cancelled' });
      if (request.signal?.aborted) return finish({ outcome: 'cancelled' });
      request.signal?.addEventListener('abort', onAbort, { once: true });
      timers.push(setTimeout(() => finish({ outcome: 'no-answer', status: 487 }), ring));
      if (b.neverAnswer) return;
      if (b.fail) {
        const fail = b.fail;
        timers.push(setTimeout(() => finish(fail), b.afterMs ?? 0));
        return;
      }
      timers.push(
        setTimeout(() => {
          const leg = new FakeLeg({ direction: 'outbound', to: request.target, ...b.leg });
          this.answered.push(leg);
          finish({ outcome: 'answered', leg });
          b.onAnswer?.(leg);
        }, b.answerAfterMs ?? 0),
      );
    });
  }
}

/** An answered call's handle around `leg` for actions that work on the leg; say, play and hang-up do nothing. */
export function answeredHandle(id: string, leg: CallLeg): CallHandle {
  return {
    id,
    leg,
    state: 'answered',
    say: async () => undefined,
    play: async () => undefined,
    sendDtmf: async (d) => ({ sent: d }),
    transfer: async () => ({}),
    hangup: async () => undefined,
  };
}
