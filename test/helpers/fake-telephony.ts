/**
 * An in-process Telephony for call-flow tests: the port's contract without sockets. Plays take
 * `playMs` (default 5 ms) unless interrupted by a key or aborted; keys pressed are reported as dtmf
 * events and stop an interruptible play; hang-ups resolve `ended` once and fire the hangup event;
 * operations on an ended leg throw LegEndedError, as the real backends do. Tests drive the far end
 * through `FakeLeg.press`, `FakeLeg.remoteHangup` and `FakeTelephony.incoming`.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
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
  type ReferOutcome,
  type RecordOptions,
  type RecordOutcome,
  type Telephony,
} from '../../src/telephony/port.js';

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

export class FakeLeg implements CallLeg {
  readonly played: MediaSource[] = [];
  readonly sentDtmf: string[] = [];
  readonly referred: string[] = [];
  private readonly emitter = new EventEmitter();
  private isActive = true;
  private endedResolve!: (e: HangupEvent) => void;
  readonly ended: Promise<HangupEvent>;
  private stopCurrent: ((o: PlayOutcome) => void) | undefined;
  private currentInterruptible = false;
  referOutcome: ReferOutcome = { outcome: 'completed', status: 200 };

  constructor(
    readonly info: CallInfo,
    private readonly playMs = 5,
  ) {
    this.ended = new Promise((r) => (this.endedResolve = r));
  }

  get active(): boolean {
    return this.isActive;
  }

  /** Texts spoken to this leg, in order. */
  get spoken(): string[] {
    return this.played.flatMap((p) => (p.kind === 'speech' ? [p.text] : []));
  }

  private assertActive(op: string): void {
    if (!this.isActive) throw new LegEndedError(this.info.id, op);
  }

  play(source: MediaSource, options: PlayOptions = {}): Promise<PlayOutcome> {
    this.assertActive('play');
    this.played.push(source);
    this.stopCurrent?.({ status: 'interrupted', durationMs: 0 });
    return new Promise((resolve) => {
      const started = Date.now();
      const finish = (o: PlayOutcome): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (this.stopCurrent === finish) this.stopCurrent = undefined;
        resolve(o);
      };
      const onAbort = (): void => finish({ status: 'interrupted', durationMs: Date.now() - started });
      const timer = setTimeout(
        () => finish({ status: 'completed', durationMs: Date.now() - started }),
        this.playMs,
      );
      this.stopCurrent = finish;
      this.currentInterruptible = options.interruptOnDtmf ?? false;
      if (options.signal?.aborted) onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  stopPlayback(): void {
    this.stopCurrent?.({ status: 'interrupted', durationMs: 0 });
  }

  async record(options: RecordOptions): Promise<RecordOutcome> {
    this.assertActive('record');
    return { reason: 'max-duration', path: options.path, durationMs: 0 };
  }

  async sendDtmf(digits: string): Promise<void> {
    this.assertActive('sendDtmf');
    this.sentDtmf.push(digits);
  }

  async refer(target: string): Promise<ReferOutcome> {
    this.assertActive('refer');
    this.referred.push(target);
    return this.referOutcome;
  }

  async bridge(): Promise<void> {
    this.assertActive('bridge');
  }
  async unbridge(): Promise<void> {}
  async hold(): Promise<void> {
    this.assertActive('hold');
  }
  async unhold(): Promise<void> {}

  async hangup(cause: HangupCause = 'normal'): Promise<void> {
    this.end({ by: 'local', cause });
  }

  on<K extends keyof CallLegEvents>(event: K, listener: Listener<CallLegEvents[K]>): void {
    this.emitter.on(event, listener);
  }
  off<K extends keyof CallLegEvents>(event: K, listener: Listener<CallLegEvents[K]>): void {
    this.emitter.off(event, listener);
  }

  // ---- far end ----
  /** The far end presses keys (RFC 4733). An interruptible play stops, as on the real backends. */
  press(digits: string): void {
    for (const digit of digits) {
      if (!this.isActive) return;
      if (this.currentInterruptible) this.stopCurrent?.({ status: 'interrupted', durationMs: 0, digit });
      this.emitter.emit('dtmf', { digit, method: 'rfc4733' });
    }
  }

  remoteHangup(): void {
    this.end({ by: 'remote', cause: 'normal' });
  }

  private end(e: HangupEvent): void {
    if (!this.isActive) return;
    this.isActive = false;
    this.stopCurrent?.({ status: 'hangup', durationMs: 0 });
    this.emitter.emit('hangup', e);
    this.endedResolve(e);
  }
}

export class FakeInboundCall implements InboundCall {
  state: 'new' | 'ringing' | 'answered' | 'rejected' | 'cancelled' = 'new';
  rejectedWith: number | undefined;
  leg: FakeLeg | undefined;
  readonly cancelled: Promise<void>;
  private cancel!: () => void;
  readonly answered: Promise<FakeLeg>;
  private answeredResolve!: (l: FakeLeg) => void;

  constructor(
    readonly info: CallInfo,
    private readonly playMs: number,
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
    this.leg = new FakeLeg(this.info, this.playMs);
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

export class FakeTelephony implements Telephony {
  readonly name = 'embedded' as const;
  readonly dials: DialRequest[] = [];
  /** What the next dial returns; 'answered' makes a fresh FakeLeg. */
  nextDial: DialOutcome['outcome'] = 'answered';
  readonly dialled: FakeLeg[] = [];
  private handler: ((call: InboundCall) => void | Promise<void>) | undefined;

  constructor(readonly playMs = 5) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  onInbound(handler: (call: InboundCall) => void | Promise<void>): void {
    this.handler = handler;
  }

  /** A call arrives; resolves once the handler has settled it (answered, rejected, or ended). */
  incoming(from: string, to: string): { call: FakeInboundCall; handled: Promise<void> } {
    const call = new FakeInboundCall(fakeInfo('inbound', from, to), this.playMs);
    const handled = Promise.resolve(this.handler?.(call)).then(() => undefined);
    return { call, handled };
  }

  async dial(request: DialRequest): Promise<DialOutcome> {
    this.dials.push(request);
    switch (this.nextDial) {
      case 'answered': {
        const leg = new FakeLeg(fakeInfo('outbound', request.callerId ?? '', request.target), this.playMs);
        this.dialled.push(leg);
        return { outcome: 'answered', leg };
      }
      case 'busy':
        return { outcome: 'busy', status: 486 };
      case 'rejected':
        return { outcome: 'rejected', status: 603 };
      case 'no-answer':
        return { outcome: 'no-answer' };
      default:
        return { outcome: 'failed', error: 'fake failure' };
    }
  }

  stats() {
    return { activeCalls: 0, activeDialogs: 0 };
  }

  readiness() {
    return { ready: true };
  }
}
