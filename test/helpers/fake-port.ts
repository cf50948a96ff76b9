/**
 * An in-process implementation of the telephony port (src/telephony/port.ts) for call-layer tests: no
 * sockets, the far end scripted from the test. It runs the port contract
 * (test/contract/fake-port.test.ts), so what a call flow sees here is what the backends give:
 * operations on an ended leg throw LegEndedError, `ended` resolves once and the hangup event fires
 * once, dial honours ringTimeoutMs (no-answer 487) and its AbortSignal (cancelled), a play ends
 * `hangup` when the leg ends and `interrupted` on stopPlayback, on abort, on a new play, or on a key
 * when interruptible.
 *
 * Far end: `FakeLeg.press`, `FakeLeg.remoteHangup`, `FakeTelephony.incoming`, `FakeInboundCall.callerCancels`;
 * what calls out meet: `FakeTelephony.script(target, behaviour)`, or `nextDial` for any other target.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import wavefile from 'wavefile';
import type { CallHandle } from '../../src/actions/action-type.js';
import {
  LegEndedError,
  type AudioTap,
  type CallInfo,
  type CallLeg,
  type CallLegEvents,
  type DialOutcome,
  type DialRequest,
  type DtmfMethod,
  type HangupCause,
  type HangupEvent,
  type InboundCall,
  type PcmChunk,
  type Listener,
  type MediaSource,
  type PlayOptions,
  type PlayOutcome,
  type Readiness,
  type CallRecording,
  type CallRecordingOptions,
  type CallRecordingResult,
  type RecordOptions,
  type RecordOutcome,
  type ReferOptions,
  type ReferOutcome,
  type SendDtmfOptions,
  type Telephony,
  type TelephonyStats,
} from '../../src/telephony/port.js';

let nextId = 1;

/** CallInfo of a call between `from` and `to` on loopback (inbound calls and `nextDial` answers). */
export function fakeInfo(direction: 'inbound' | 'outbound', from: string, to: string): CallInfo {
  return {
    id: randomUUID(),
    sipCallId: randomUUID(),
    direction,
    from: { uri: `sip:${from}@127.0.0.1`, user: from },
    to: { uri: `sip:${to}@127.0.0.1`, user: to },
    requestUri: `sip:${to}@127.0.0.1:5062`,
    remoteAddress: '127.0.0.1:5070',
    headers: {},
  };
}

export interface FakeLegOptions {
  /** The whole CallInfo; otherwise one is made from direction, from, to and trunk. */
  info?: CallInfo;
  direction?: 'inbound' | 'outbound';
  from?: string;
  to?: string;
  trunk?: string;
  /** How long each play lasts (ms); 0 = completes at once. */
  playMs?: number;
  /** What `refer` resolves with (after `referDelayMs`); default completed(200). */
  referOutcome?: ReferOutcome;
  referDelayMs?: number;
  /** NOTIFY statuses reported as refer-progress before `refer` resolves (e.g. [100, 200]). */
  referProgress?: number[];
  /** Length of the WAV `record` writes (the caller "speaks" this long), and why it ends. */
  recordMs?: number;
  recordReason?: RecordOutcome['reason'];
}

type Playing = (outcome: PlayOutcome) => void;

export class FakeLeg implements CallLeg {
  readonly info: CallInfo;
  /** Everything done to the leg, in order: `play:speech:Hello`, `hold`, `bridge:<id>`, `refer:<uri>` … */
  readonly ops: string[] = [];
  /** Every source played, in order. */
  readonly played: MediaSource[] = [];
  /** Digit strings sent, in order, and with method and time. */
  readonly sentDtmf: string[] = [];
  readonly dtmfSent: Array<{ digits: string; method?: string; at: number }> = [];
  /** Targets referred to, and the options of each REFER. */
  readonly referred: string[] = [];
  readonly referOptions: ReferOptions[] = [];
  /** What the next `refer` resolves with. */
  referOutcome: ReferOutcome;
  bridgedTo?: CallLeg;
  held = false;
  readonly ended: Promise<HangupEvent>;
  private isActive = true;
  private resolveEnded!: (e: HangupEvent) => void;
  private readonly listeners = new Map<string, Set<Listener<unknown>>>();
  private playing?: Playing;

  constructor(readonly options: FakeLegOptions = {}) {
    const id = `leg-${nextId++}`;
    const from = options.from ?? '+14155550100';
    const to = options.to ?? '+14155550199';
    this.info = options.info ?? {
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
    this.referOutcome = options.referOutcome ?? { outcome: 'completed', status: 200 };
    this.ended = new Promise((r) => (this.resolveEnded = r));
  }

  get active(): boolean {
    return this.isActive;
  }

  /** Texts spoken to this leg, in order. */
  get spoken(): string[] {
    return this.played.flatMap((p) =>
      p.kind === 'speech' ? [p.text] : p.kind === 'stream' && p.text !== undefined ? [p.text] : [],
    );
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
      source.kind === 'speech' || source.kind === 'stream'
        ? (source.text ?? '')
        : source.kind === 'file'
          ? source.path
          : `${source.durationMs}`;
    this.ops.push(`play:${source.kind}:${what}`);
    this.played.push(source);
    // A new play replaces the one in progress, as on the backends.
    this.playing?.({ status: 'interrupted', durationMs: 0 });
    if (source.kind === 'stream') return this.playStream(source.segments, options);
    const ms = this.options.playMs ?? 0;
    if (!options.signal?.aborted) options.onStarted?.();
    if (ms === 0 && !options.signal?.aborted) return { status: 'completed', durationMs: 0 };
    const started = Date.now();
    return new Promise<PlayOutcome>((resolve) => {
      const finish: Playing = (o) => {
        clearTimeout(timer);
        this.off('dtmf', onDigit);
        options.signal?.removeEventListener('abort', onAbort);
        if (this.playing === finish) this.playing = undefined;
        resolve(o);
      };
      const onDigit = (e: { digit: string }): void =>
        finish({ status: 'interrupted', durationMs: Date.now() - started, digit: e.digit });
      const onAbort = (): void => finish({ status: 'interrupted', durationMs: Date.now() - started });
      const timer = setTimeout(() => finish({ status: 'completed', durationMs: Date.now() - started }), ms);
      this.playing = finish;
      if (options.interruptOnDtmf) this.on('dtmf', onDigit);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  stopPlayback(): void {
    this.playing?.({ status: 'interrupted', durationMs: 0 });
  }

  /**
   * A stream plays in real time, chunk by chunk, as the backends send it: `durationMs` is the audio
   * sent; a stop, an abort, a key (interruptOnDtmf) or a new play ends it and closes the producer.
   */
  private async playStream(
    segments: AsyncIterable<AsyncIterable<PcmChunk>>,
    options: PlayOptions,
  ): Promise<PlayOutcome> {
    let stopped: PlayOutcome | undefined;
    let sentMs = 0;
    let wake: (() => void) | undefined;
    const finish: Playing = (o) => {
      stopped ??= { ...o, durationMs: Math.round(sentMs) };
      wake?.();
    };
    this.playing = finish;
    const onDigit = (e: { digit: string }): void =>
      finish({ status: 'interrupted', durationMs: 0, digit: e.digit });
    const onAbort = (): void => finish({ status: 'interrupted', durationMs: 0 });
    if (options.interruptOnDtmf) this.on('dtmf', onDigit);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    try {
      outer: for await (const segment of segments) {
        if (stopped) break;
        for await (const chunk of segment) {
          if (stopped) break outer;
          if (sentMs === 0) options.onStarted?.();
          const ms = (chunk.samples.length * 1000) / chunk.sampleRate;
          await new Promise<void>((r) => {
            const t = setTimeout(r, ms);
            wake = () => {
              clearTimeout(t);
              r();
            };
          });
          wake = undefined;
          if (stopped) break outer;
          sentMs += ms;
        }
      }
    } catch {
      // A producer that fails ends the play with what was sent, as on the embedded backend.
    } finally {
      this.off('dtmf', onDigit);
      options.signal?.removeEventListener('abort', onAbort);
      if (this.playing === finish) this.playing = undefined;
    }
    if (!this.active) return { status: 'hangup', durationMs: Math.round(sentMs) };
    return stopped ?? { status: 'completed', durationMs: Math.round(sentMs) };
  }

  /** The current audio tap's frame callback (`listen`), for tests that speak to the agent. */
  tap?: (frame: Int16Array) => void;

  async listen(onFrame: (frame: Int16Array) => void): Promise<AudioTap> {
    this.ensure('listen');
    this.ops.push('listen');
    let resolve!: (e: { reason: 'stopped' | 'hangup' }) => void;
    const stopped = new Promise<{ reason: 'stopped' | 'hangup' }>((r) => (resolve = r));
    this.tap = onFrame;
    void this.ended.then(() => resolve({ reason: 'hangup' }));
    return {
      sampleRate: 8000,
      stop: () => {
        if (this.tap === onFrame) this.tap = undefined;
        resolve({ reason: 'stopped' });
      },
      stopped,
    };
  }

  async record(options: RecordOptions): Promise<RecordOutcome> {
    this.ensure('record');
    this.ops.push(`record:${options.beep ? 'beep' : 'nobeep'}:${options.maxDurationMs}`);
    const ms = Math.min(this.options.recordMs ?? 1000, options.maxDurationMs);
    const wav = new wavefile.WaveFile();
    wav.fromScratch(1, 8000, '16', new Int16Array(Math.round(ms * 8)).fill(1000));
    writeFileSync(options.path, wav.toBuffer());
    const reason =
      this.options.recordReason ??
      (options.silenceTimeoutMs && ms < options.maxDurationMs ? 'silence' : 'max-duration');
    return { reason, path: options.path, durationMs: ms };
  }

  /** Whole-call recordings started on this leg (`recordCall`), with their pause/resume marks. */
  readonly callRecordings: Array<{ path: string; marks: string[] }> = [];

  async recordCall(options: CallRecordingOptions): Promise<CallRecording> {
    this.ensure('recordCall');
    this.ops.push('recordCall');
    const started = Date.now();
    const entry = { path: options.path, marks: [] as string[] };
    this.callRecordings.push(entry);
    let result: Promise<CallRecordingResult> | undefined;
    const finish = (reason: 'stopped' | 'hangup'): Promise<CallRecordingResult> => {
      result ??= (async () => {
        const ms = Date.now() - started;
        const wav = new wavefile.WaveFile();
        const silence = new Int16Array(Math.round(ms * 8));
        wav.fromScratch(2, 8000, '16', [silence, silence]);
        writeFileSync(options.path, wav.toBuffer());
        return { path: options.path, durationMs: ms, pausedMs: 0, channels: 2, sampleRate: 8000, reason };
      })();
      return result;
    };
    void this.ended.then(() => finish('hangup'));
    return {
      pause: () => void entry.marks.push('pause'),
      resume: () => void entry.marks.push('resume'),
      stop: () => finish('stopped'),
    };
  }

  async sendDtmf(digits: string, options: SendDtmfOptions = {}): Promise<void> {
    this.ensure('sendDtmf');
    this.ops.push(`dtmf:${digits}:${options.method ?? 'default'}`);
    this.sentDtmf.push(digits);
    this.dtmfSent.push({ digits, ...(options.method ? { method: options.method } : {}), at: Date.now() });
  }

  async refer(target: string, options: ReferOptions = {}): Promise<ReferOutcome> {
    this.ensure('refer');
    this.ops.push(`refer:${target}`);
    this.referred.push(target);
    this.referOptions.push(options);
    if (this.options.referDelayMs) await new Promise((r) => setTimeout(r, this.options.referDelayMs));
    for (const status of this.options.referProgress ?? []) this.emit('refer-progress', { status });
    return this.referOutcome;
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

  // ---- far end ----

  /** The far end hangs up. */
  remoteHangup(cause: HangupCause = 'normal'): void {
    this.end({ by: 'remote', cause });
  }

  /** The far end presses keys; an interruptible play stops, as on the backends. */
  press(digits: string, method: DtmfMethod = 'rfc4733'): void {
    for (const digit of digits) {
      if (!this.isActive) return;
      this.emit('dtmf', { digit, method });
    }
  }

  private end(e: HangupEvent): void {
    if (!this.isActive) return;
    this.isActive = false;
    this.playing?.({ status: 'hangup', durationMs: 0 });
    this.resolveEnded(e);
    this.emit('hangup', e);
  }
}

export class FakeInboundCall implements InboundCall {
  state: 'new' | 'ringing' | 'answered' | 'rejected' | 'cancelled' = 'new';
  rejectedWith: number | undefined;
  leg: FakeLeg | undefined;
  readonly cancelled: Promise<void>;
  private cancel!: () => void;
  /** Resolves with the leg once the call is answered. */
  readonly answered: Promise<FakeLeg>;
  private answeredResolve!: (l: FakeLeg) => void;

  constructor(
    readonly info: CallInfo,
    private readonly legOptions: FakeLegOptions = {},
  ) {
    this.cancelled = new Promise((r) => (this.cancel = r));
    this.answered = new Promise((r) => (this.answeredResolve = r));
  }

  async ring(): Promise<void> {
    if (this.state === 'new') this.state = 'ringing';
  }

  async reject(status: number): Promise<void> {
    if (this.state === 'answered' || this.state === 'rejected') return;
    this.state = 'rejected';
    this.rejectedWith = status;
  }

  async answer(): Promise<CallLeg> {
    if (this.state === 'rejected' || this.state === 'cancelled')
      throw new Error(`cannot answer a ${this.state} call`);
    this.state = 'answered';
    this.leg = new FakeLeg({ ...this.legOptions, info: this.info });
    this.answeredResolve(this.leg);
    return this.leg;
  }

  /** The caller gives up before the answer (CANCEL). */
  callerCancels(): void {
    if (this.state === 'answered') return;
    this.state = 'cancelled';
    this.cancel();
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

export interface FakeTelephonyOptions {
  /** Play length of legs made by `incoming` and `nextDial` (ms). Default 0: plays complete at once. */
  playMs?: number;
  /** What dialling a target without a script gives; unset = failed (no route). */
  nextDial?: DialOutcome['outcome'];
}

export class FakeTelephony implements Telephony {
  readonly name = 'embedded' as const;
  readonly dials: Array<DialRequest & { at: number; outcome?: DialOutcome['outcome'] }> = [];
  /** Every leg a dial answered, in order (`dialled` is the same list). */
  readonly answered: FakeLeg[] = [];
  readonly dialled: FakeLeg[] = this.answered;
  /** What dialling a target without a script gives; unset = failed (no route). */
  nextDial: DialOutcome['outcome'] | undefined;
  readonly playMs: number;
  private readonly behaviours = new Map<string, DialBehaviour>();
  private handler: ((call: InboundCall) => void | Promise<void>) | undefined;

  constructor(options: FakeTelephonyOptions = {}) {
    this.playMs = options.playMs ?? 0;
    this.nextDial = options.nextDial;
  }

  /** Scripts what dialling `target` does (exact string of DialRequest.target). */
  script(target: string, behaviour: DialBehaviour): this {
    this.behaviours.set(target, behaviour);
    return this;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  onInbound(handler: (call: InboundCall) => void | Promise<void>): void {
    this.handler = handler;
  }

  /** A call arrives; `handled` resolves once the handler has settled it (answered, rejected, or ended). */
  incoming(from: string, to: string): { call: FakeInboundCall; handled: Promise<void> } {
    const call = new FakeInboundCall(fakeInfo('inbound', from, to), { playMs: this.playMs });
    const handled = Promise.resolve(this.handler?.(call)).then(() => undefined);
    return { call, handled };
  }

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
    const b = this.behaviours.get(request.target) ?? this.unscripted(request);
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
      const fail = b.fail;
      if (fail) {
        // An immediate scripted ending resolves in this turn, as the unscripted `nextDial` always did.
        if (b.afterMs === undefined && this.behaviours.get(request.target) === undefined) return finish(fail);
        timers.push(setTimeout(() => finish(fail), b.afterMs ?? 0));
        return;
      }
      const answer = (): void => {
        const leg = new FakeLeg({ direction: 'outbound', to: request.target, ...b.leg });
        this.answered.push(leg);
        finish({ outcome: 'answered', leg, answeredAt: new Date() });
        b.onAnswer?.(leg);
      };
      if (b.answerAfterMs === undefined && this.behaviours.get(request.target) === undefined) return answer();
      timers.push(setTimeout(answer, b.answerAfterMs ?? 0));
    });
  }

  /** A target without a script: `nextDial`'s outcome at once, or no route. */
  private unscripted(request: DialRequest): DialBehaviour {
    switch (this.nextDial) {
      case 'answered':
        return {
          leg: { info: fakeInfo('outbound', request.callerId ?? '', request.target), playMs: this.playMs },
        };
      case 'busy':
        return { fail: { outcome: 'busy', status: 486 } };
      case 'rejected':
        return { fail: { outcome: 'rejected', status: 603 } };
      case 'no-answer':
        return { fail: { outcome: 'no-answer' } };
      case undefined:
        return { fail: { outcome: 'failed', error: `no route to ${request.target}` } };
      default:
        return { fail: { outcome: 'failed', error: 'fake failure' } };
    }
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
    hangup: async () => undefined,
  };
}
