import { randomInt } from 'node:crypto';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { CallwrightError, ErrorCodes, type ErrorCode } from '../../../errors.js';
import type { Logger } from '../../../logging/logger.js';
import type { SpeechSynthesizer } from '../../../speech/speech-synthesizer.js';
import type {
  AudioTap,
  CallRecording,
  CallRecordingOptions,
  CallRecordingResult,
  MediaSource,
  PlayOptions,
  PlayOutcome,
  RecordOptions,
  RecordOutcome,
} from '../../port.js';
import { FRAME_SAMPLES } from './audio-source.js';
import { LatenessHistogram } from './lateness-histogram.js';
import type { MediaEngineDetail, MediaSettings } from './media-engine.js';
import { advertisedAddress } from './media-engine.js';
import {
  MediaEventListeners,
  type MediaEngine,
  type MediaEngineStats,
  type MediaSession,
  type MediaSessionEvents,
} from './media-session.js';
import { PortAllocator } from './port-allocator.js';
import type { NegotiatedAudio } from './sdp-negotiation.js';
import { SdpState } from './sdp-state.js';
import type {
  ForwardedMethod,
  RecordingMethod,
  FromWorker,
  LatenessSnapshot,
  SerializedError,
  ToWorker,
  WorkerSettings,
  WorkerSource,
} from './worker-protocol.js';

/** Chunks of a streamed play in flight to the worker before the pump waits for it to take some. */
const STREAM_WINDOW = 16;
/**
 * The young generation of a worker's V8 heap, MB. A pacing thread allocates a little garbage every frame
 * and keeps almost nothing, so V8 grows its young generation to the default maximum (about 39 MB held
 * per worker, measured by bench/media-worker-memory.ts) although 8 MB is live after a collection; capped
 * here, a worker holds about 20 MB and scavenges (which copy only the few survivors) run more often.
 */
const WORKER_YOUNG_GENERATION_MB = 8;
/** Stats are refreshed in the background at most this often for the synchronous `stats()`. */
const STATS_REFRESH_MS = 1000;

export interface WorkerEngineDeps {
  logger?: Logger;
  speech?: SpeechSynthesizer;
}

/** Per worker and overall lateness, for the benchmark and health output. */
export interface WorkerEngineDetail extends MediaEngineDetail {
  /** RTP packets received and sent by the sessions open now. */
  received: number;
  sent: number;
  workers: Array<{
    index: number;
    sessions: number;
    latenessP50Ms: number;
    latenessP99Ms: number;
    latenessMaxMs: number;
    frames: number;
    skippedTicks: number;
    /** The worker thread's V8 heap: in use, and the memory it holds, MB. */
    heapUsedMb: number;
    heapPhysicalMb: number;
  }>;
}

/** An answer-bearing request in flight: it reads its own answers, and fails if the worker dies. */
interface Pending {
  /** True when the request is settled by this message. */
  on(m: FromWorker): boolean;
  fail(reason: string): void;
}

interface TapSink {
  onFrame(frame: Int16Array): void;
  end(e: { reason: 'stopped' | 'hangup' | 'error'; error?: string }): void;
}

function deserializeError(e: SerializedError): Error {
  if (e.code && e.code in ErrorCodes)
    return new CallwrightError(e.code as ErrorCode, e.message, e.issues ?? []);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/** The module a worker thread loads: the TypeScript source under tsx/vitest, the built .js otherwise. */
function workerEntry(): { boot: URL; entry: string } {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(`./media-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url).href;
  return { boot: fromSource ? new URL('./media-worker-boot.mjs', import.meta.url) : new URL(entry), entry };
}

/** One media worker thread as the main thread sees it. */
class WorkerClient {
  readonly worker: Worker;
  readonly sessions = new Map<number, ProxyMediaSession>();
  readonly pending = new Map<number, Pending>();
  readonly taps = new Map<number, TapSink>();
  lateness: LatenessSnapshot | null = null;
  dead = false;
  private refd = true;

  constructor(
    readonly index: number,
    settings: WorkerSettings,
    private readonly engine: WorkerMediaEngine,
  ) {
    const { boot, entry } = workerEntry();
    this.worker = new Worker(boot, {
      workerData: { ...settings, entry },
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    this.worker.on('message', (m: FromWorker) => this.onMessage(m));
    this.worker.on('error', (err) =>
      engine.logger?.error({ err, mediaWorker: index }, 'media worker failed'),
    );
    this.worker.on('exit', (code) => engine.workerExited(this, code));
    this.updateRef();
  }

  post(m: ToWorker, transfer: Array<ArrayBuffer | MessagePort> = []): void {
    if (!this.dead) this.worker.postMessage(m, transfer);
  }

  request(m: ToWorker & { req: number }, pending: Pending): void {
    if (this.dead) {
      pending.fail('media worker stopped');
      return;
    }
    this.pending.set(m.req, pending);
    this.updateRef();
    this.post(m);
  }

  /** The worker keeps the process alive only while it has calls or answers to give. */
  updateRef(): void {
    const busy = this.sessions.size > 0 || this.pending.size > 0 || this.taps.size > 0;
    if (busy === this.refd || this.dead) return;
    this.refd = busy;
    if (busy) this.worker.ref();
    else this.worker.unref();
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'frames':
        for (let i = 0; i < m.taps.length; i++) {
          this.taps
            .get(m.taps[i] as number)
            ?.onFrame(m.pcm.slice(i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES));
        }
        return;
      case 'tap-ended': {
        const tap = this.taps.get(m.req);
        this.taps.delete(m.req);
        tap?.end(m.error === undefined ? { reason: m.reason } : { reason: m.reason, error: m.error });
        this.updateRef();
        return;
      }
      case 'event': {
        const session = this.sessions.get(m.s);
        if (m.name === 'dtmf') session?.emit('dtmf', m.payload);
        else session?.emit('timeout', {});
        return;
      }
      case 'closed':
        this.engine.released(m.port);
        return;
      case 'log':
        this.engine.forwardLog(m.line);
        return;
      default: {
        const pending = this.pending.get(m.req);
        if (pending?.on(m)) {
          this.pending.delete(m.req);
          this.updateRef();
        }
      }
    }
  }

  /** The thread is gone: every call on it ends, every answer it owed fails. */
  failAll(reason: string): void {
    this.dead = true;
    for (const p of this.pending.values()) p.fail(reason);
    this.pending.clear();
    for (const tap of this.taps.values()) tap.end({ reason: 'error', error: reason });
    this.taps.clear();
    for (const s of [...this.sessions.values()]) s.fail(reason);
  }
}

/**
 * The embedded backend's media spread over worker threads (config `media.workers`). Each worker runs
 * its own media clock and the same RtpMediaSession code for the sessions placed on it (the least
 * loaded worker at creation), with the RTP sockets opened inside it; the main thread keeps ports'
 * bookkeeping, SDP offer/answer (so createOffer/answerOffer stay synchronous) and one proxy per session
 * that implements MediaSession by messages.
 *
 * Bridged sessions on different workers exchange audio through a MessageChannel between the two
 * workers (frames batched per clock slot, a two-frame queue on the receiving side), so a bridge never
 * has to move a live RTP socket between threads; on one worker they bridge directly as in-process.
 */
export class WorkerMediaEngine implements MediaEngine {
  readonly logger: Logger | undefined;
  private readonly clients: WorkerClient[] = [];
  private readonly ports: PortAllocator;
  private readonly settings: WorkerSettings;
  private nextSession = 1;
  private nextReq = 1;
  private closed = false;
  private cachedStats: MediaEngineStats = { sessions: 0, latenessP50Ms: 0, latenessP99Ms: 0 };
  private statsAt = 0;

  constructor(
    settings: MediaSettings,
    readonly count: number,
    private readonly deps: WorkerEngineDeps = {},
  ) {
    this.logger = deps.logger;
    if (settings.rtp_port_max < settings.rtp_port_min) {
      throw new CallwrightError('CONFIG_INVALID', 'media.rtp_port_max is below media.rtp_port_min', [
        {
          field: 'media.rtp_port_max',
          value: settings.rtp_port_max,
          expected: `>= ${settings.rtp_port_min}`,
        },
      ]);
    }
    this.ports = new PortAllocator(settings.address, settings.rtp_port_min, settings.rtp_port_max);
    this.settings = {
      index: 0,
      address: settings.address,
      advertisedAddress: advertisedAddress(settings),
      timeoutMs: settings.timeout_ms,
      holdMusic: settings.hold_music,
      logLevel: deps.logger?.level ?? 'silent',
    };
    for (let i = 0; i < count; i++) this.spawn(i);
  }

  get advertisedAddress(): string {
    return this.settings.advertisedAddress;
  }

  get speech(): SpeechSynthesizer | undefined {
    return this.deps.speech;
  }

  req(): number {
    return this.nextReq++;
  }

  /** The worker threads, by index (health checks; tests stop one to see its calls end). */
  workerThreads(): Worker[] {
    return this.clients.map((c) => c.worker);
  }

  /** Which worker a session of this engine runs on. */
  workerOf(session: MediaSession): number {
    return session instanceof ProxyMediaSession ? session.client.index : -1;
  }

  private spawn(index: number): void {
    const client = new WorkerClient(index, { ...this.settings, index }, this);
    // Every pair of workers gets a direct channel for bridged audio (no main-thread hop per frame).
    for (const other of this.clients) {
      if (!other || other.dead || other.index === index) continue;
      const { port1, port2 } = new MessageChannel();
      client.post({ t: 'link', worker: other.index, port: port1 }, [port1]);
      other.post({ t: 'link', worker: index, port: port2 }, [port2]);
    }
    this.clients[index] = client;
  }

  workerExited(client: WorkerClient, code: number): void {
    const calls = client.sessions.size;
    client.failAll(`media worker ${client.index} stopped (exit code ${code})`);
    if (this.closed) return;
    this.logger?.error(
      { mediaWorker: client.index, exitCode: code, calls },
      'media worker thread stopped; its calls end with cause error; starting a new one',
    );
    this.spawn(client.index);
  }

  released(port: number): void {
    this.ports.release(port);
  }

  forwardLog(line: string): void {
    const logger = this.logger;
    if (!logger) return;
    try {
      const {
        level,
        msg,
        time: _time,
        pid: _pid,
        hostname: _host,
        ...rest
      } = JSON.parse(line) as {
        level: number;
        msg?: string;
        time?: unknown;
        pid?: unknown;
        hostname?: unknown;
      } & Record<string, unknown>;
      const name = logger.levels.labels[level] ?? 'info';
      const log = logger[name as 'info'].bind(logger);
      log(rest, msg ?? '');
    } catch {
      logger.warn({ line }, 'unreadable log line from a media worker');
    }
  }

  async createSession(): Promise<MediaSession> {
    if (this.closed) throw new CallwrightError('UNAVAILABLE', 'media engine is closed');
    let client = this.clients[0] as WorkerClient;
    for (const c of this.clients)
      if (!c.dead && (client.dead || c.sessions.size < client.sessions.size)) client = c;
    const s = this.nextSession++;
    const { port } = await this.ports.allocateWith(
      (p) =>
        new Promise<true | null>((resolve, reject) => {
          client.request(
            { t: 'create', req: this.req(), s, port: p },
            {
              on: (m) => {
                if (m.t === 'ok') resolve(true);
                else if (m.t === 'bind-failed') resolve(null);
                else if (m.t === 'err') reject(deserializeError(m.error));
                return true;
              },
              fail: (reason) => reject(new CallwrightError('UNAVAILABLE', reason)),
            },
          );
        }),
    );
    const session = new ProxyMediaSession(this, client, s, port);
    client.sessions.set(s, session);
    client.updateRef();
    if (this.closed) session.close();
    return session;
  }

  stats(): MediaEngineStats {
    const sessions = this.clients.reduce((n, c) => n + c.sessions.size, 0);
    if (performance.now() - this.statsAt > STATS_REFRESH_MS) {
      this.statsAt = performance.now();
      this.detail().then(
        (d) => (this.cachedStats = d),
        () => undefined,
      );
    }
    return { ...this.cachedStats, sessions };
  }

  /**
   * Fresh figures from every worker: per worker and merged (percentiles over all their frames).
   * `gc`: each worker collects before reporting its heap (only when node runs with --expose-gc).
   */
  async detail(reset = false, gc = false): Promise<WorkerEngineDetail> {
    const replies = await Promise.all(
      this.clients.map(
        (c) =>
          new Promise<{
            lateness: LatenessSnapshot | null;
            sessions: number;
            received: number;
            sent: number;
            heapUsed: number;
            heapPhysical: number;
          }>((resolve) => {
            c.request(
              { t: 'stats', req: this.req(), reset, gc },
              {
                on: (m) => {
                  if (m.t === 'stats') {
                    resolve({
                      lateness: m.lateness,
                      sessions: m.sessions,
                      received: m.received,
                      sent: m.sent,
                      heapUsed: m.heapUsed,
                      heapPhysical: m.heapPhysical,
                    });
                  }
                  return true;
                },
                fail: () =>
                  resolve({
                    lateness: null,
                    sessions: 0,
                    received: 0,
                    sent: 0,
                    heapUsed: 0,
                    heapPhysical: 0,
                  }),
              },
            );
          }),
      ),
    );
    const all = new LatenessHistogram();
    let skippedTicks = 0;
    const workers = replies.map((r, index) => {
      const h = new LatenessHistogram();
      if (r.lateness) {
        h.merge(r.lateness);
        all.merge(r.lateness);
        skippedTicks += r.lateness.skippedTicks;
      }
      return {
        index,
        sessions: r.sessions,
        latenessP50Ms: h.quantile(0.5),
        latenessP99Ms: h.quantile(0.99),
        latenessMaxMs: h.max,
        frames: h.count,
        skippedTicks: r.lateness?.skippedTicks ?? 0,
        heapUsedMb: r.heapUsed / 2 ** 20,
        heapPhysicalMb: r.heapPhysical / 2 ** 20,
      };
    });
    return {
      sessions: this.clients.reduce((n, c) => n + c.sessions.size, 0),
      latenessP50Ms: all.quantile(0.5),
      latenessP99Ms: all.quantile(0.99),
      latenessMaxMs: all.max,
      frames: all.count,
      skippedTicks,
      freePorts: this.ports.available,
      received: replies.reduce((n, r) => n + r.received, 0),
      sent: replies.reduce((n, r) => n + r.sent, 0),
      workers,
    };
  }

  async resetStats(): Promise<void> {
    await this.detail(true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.clients) for (const s of [...c.sessions.values()]) s.close();
    await Promise.all(
      this.clients.map(async (c) => {
        await new Promise<void>((resolve) =>
          c.request(
            { t: 'shutdown', req: this.req() },
            { on: () => (resolve(), true), fail: () => resolve() },
          ),
        );
        c.dead = true;
        await c.worker.terminate();
      }),
    );
  }
}

/** A session on a media worker, seen from the main thread: MediaSession by messages. */
export class ProxyMediaSession implements MediaSession {
  private readonly sdp: SdpState;
  private negotiated: NegotiatedAudio | null = null;
  private holding = false;
  private holdToken = 0;
  private playToken = 0;
  private peer: ProxyMediaSession | null = null;
  private tap: { req: number; end: TapSink['end'] } | null = null;
  private readonly listeners = new MediaEventListeners(() => this.engine.logger);
  private closed = false;

  constructor(
    private readonly engine: WorkerMediaEngine,
    readonly client: WorkerClient,
    readonly id: number,
    readonly localPort: number,
  ) {
    this.sdp = new SdpState(engine.advertisedAddress, localPort, randomInt(1, 2 ** 31).toString());
  }

  get remoteHeld(): boolean {
    return this.negotiated?.remoteHold ?? false;
  }

  // ---- generic forwarding --------------------------------------------------------------------

  /** Calls a forwarded RtpMediaSession method on the worker and returns its (plain-data) result. */
  private invoke<T>(method: ForwardedMethod | RecordingMethod, args: unknown[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.client.request(
        { t: 'invoke', req: this.engine.req(), s: this.id, method, args },
        {
          on: (m) => {
            if (m.t === 'ok') resolve(m.value as T);
            else if (m.t === 'err') reject(deserializeError(m.error));
            return true;
          },
          fail: (reason) => reject(new CallwrightError('UNAVAILABLE', reason)),
        },
      );
    });
  }

  /** Same, without waiting for an answer. */
  private cast(method: ForwardedMethod | RecordingMethod, args: unknown[] = []): void {
    this.client.post({ t: 'cast', s: this.id, method, args });
  }

  // ---- SDP (on this thread: createOffer/answerOffer are synchronous) ----------------------------

  private localIntent(): 'sendrecv' | 'sendonly' {
    return this.holding ? 'sendonly' : 'sendrecv';
  }

  createOffer(): string {
    return this.sdp.createOffer(this.localIntent());
  }

  applyAnswer(remoteSdp: string): void {
    const { negotiated, direction } = this.sdp.applyAnswer(remoteSdp);
    this.negotiated = negotiated;
    this.client.post({ t: 'apply', s: this.id, negotiated, direction });
  }

  answerOffer(remoteSdp: string): string {
    const { negotiated, direction, sdp } = this.sdp.answerOffer(remoteSdp, this.localIntent());
    this.negotiated = negotiated;
    this.client.post({ t: 'apply', s: this.id, negotiated, direction });
    return sdp;
  }

  // ---- playback ------------------------------------------------------------------------------

  async play(source: MediaSource, options: PlayOptions = {}): Promise<PlayOutcome> {
    if (this.closed) return { status: 'hangup', durationMs: 0 };
    const token = ++this.playToken;
    let ws: WorkerSource;
    if (source.kind === 'speech' || (source.kind === 'stream' && options.loop)) {
      // As in-process: the current play ends now, not once this one is ready.
      this.cast('stopPlayback');
      if (options.signal?.aborted) return { status: 'interrupted', durationMs: 0 };
      if (source.kind === 'stream') {
        throw new CallwrightError('VALIDATION', 'play: a stream cannot loop', [
          { field: 'loop', value: true, expected: 'false for a stream source' },
        ]);
      }
      ws = { kind: 'file', path: await this.synthesize(source) };
      if (this.closed) return { status: 'hangup', durationMs: 0 };
      if (token !== this.playToken || options.signal?.aborted)
        return { status: 'interrupted', durationMs: 0 };
    } else ws = source.kind === 'stream' ? { kind: 'stream' } : source;
    const req = this.engine.req();
    const signal = options.signal;
    const onAbort = (): void => this.client.post({ t: 'abort', req });
    const pump = source.kind === 'stream' ? new StreamPump(this.client, req) : null;
    const outcome = new Promise<PlayOutcome>((resolve, reject) => {
      this.client.request(
        {
          t: 'play',
          req,
          s: this.id,
          source: ws,
          loop: options.loop ?? false,
          interruptOnDtmf: options.interruptOnDtmf ?? false,
          started: options.onStarted !== undefined,
        },
        {
          on: (m) => {
            if (m.t === 'started') {
              options.onStarted?.();
              return false;
            }
            if (m.t === 'ack') {
              pump?.ack(m.n);
              return false;
            }
            if (m.t === 'played') resolve(m.outcome);
            else if (m.t === 'err') reject(deserializeError(m.error));
            return true;
          },
          fail: () => resolve({ status: 'hangup', durationMs: 0 }),
        },
      );
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    if (pump && source.kind === 'stream') void pump.run(source.segments);
    try {
      return await outcome;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      pump?.stop();
    }
  }

  private async synthesize(source: Extract<MediaSource, { kind: 'speech' }>): Promise<string> {
    const speech = this.engine.speech;
    if (!speech) {
      throw new CallwrightError(
        'UNAVAILABLE',
        'play: speech was requested but no speech provider is configured',
      );
    }
    const request = { text: source.text, ...(source.voice ? { voice: source.voice } : {}) };
    return speech.synthesize(source.language ? { ...request, language: source.language } : request);
  }

  stopPlayback(): void {
    this.playToken++;
    this.cast('stopPlayback');
  }

  // ---- listening -----------------------------------------------------------------------------

  listen(onFrame: (frame: Int16Array) => void): AudioTap {
    this.tap?.end({ reason: 'stopped' });
    let resolve!: (e: { reason: 'stopped' | 'hangup' | 'error'; error?: string }) => void;
    const stopped = new Promise<{ reason: 'stopped' | 'hangup' | 'error'; error?: string }>(
      (r) => (resolve = r),
    );
    const req = this.engine.req();
    const end: TapSink['end'] = (e) => {
      if (this.tap?.req === req) this.tap = null;
      this.client.taps.delete(req);
      resolve(e);
    };
    if (this.closed) {
      resolve({ reason: 'hangup' });
    } else {
      this.tap = { req, end };
      this.client.taps.set(req, { onFrame, end });
      this.client.updateRef();
      this.client.post({ t: 'listen', req, s: this.id });
    }
    return {
      sampleRate: 8000,
      stop: () => {
        if (this.client.taps.has(req)) this.client.post({ t: 'unlisten', req });
        end({ reason: 'stopped' });
      },
      stopped,
    };
  }

  // ---- recording -----------------------------------------------------------------------------

  /** The worker keeps the recording under a token; the handle's calls go there in order. */
  recordCall(options: CallRecordingOptions): CallRecording {
    const token = this.engine.req();
    this.cast('startCallRecording', [token, { path: options.path }]);
    return {
      pause: () => this.cast('pauseCallRecording', [token]),
      resume: () => this.cast('resumeCallRecording', [token]),
      stop: () => this.invoke<CallRecordingResult>('stopCallRecording', [token]),
    };
  }

  record(options: RecordOptions): Promise<RecordOutcome> {
    const { signal, ...plain } = options;
    const req = this.engine.req();
    const onAbort = (): void => this.client.post({ t: 'abort', req });
    return new Promise<RecordOutcome>((resolve, reject) => {
      this.client.request(
        { t: 'record', req, s: this.id, options: plain },
        {
          on: (m) => {
            signal?.removeEventListener('abort', onAbort);
            if (m.t === 'ok') resolve(m.value as RecordOutcome);
            else if (m.t === 'err') reject(deserializeError(m.error));
            return true;
          },
          fail: (reason) => {
            signal?.removeEventListener('abort', onAbort);
            reject(new CallwrightError('UNAVAILABLE', `record: ${reason}`));
          },
        },
      );
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ---- DTMF ----------------------------------------------------------------------------------

  sendDtmf(digits: string, durationMs?: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.invoke<void>('sendDtmf', [digits, durationMs]);
  }

  notifyDtmf(digit: string): void {
    this.cast('notifyDtmf', [digit]);
  }

  // ---- bridge and hold -----------------------------------------------------------------------

  bridge(other: MediaSession): void {
    if (!(other instanceof ProxyMediaSession) || other === this || other.engine !== this.engine) {
      throw new CallwrightError(
        'PRECONDITION',
        'bridge: the other session must be another session of the same media engine',
      );
    }
    this.unbridge();
    other.unbridge();
    this.playToken++;
    other.playToken++;
    this.peer = other;
    other.peer = this;
    if (other.client === this.client) {
      this.client.post({ t: 'bridge', s: this.id, peer: other.id });
    } else {
      this.client.post({ t: 'bridge-remote', s: this.id, worker: other.client.index, peer: other.id });
      other.client.post({ t: 'bridge-remote', s: other.id, worker: this.client.index, peer: this.id });
    }
  }

  unbridge(): void {
    const peer = this.peer;
    if (!peer) return;
    this.peer = null;
    if (peer.peer === this) {
      peer.peer = null;
      peer.cast('unbridge');
    }
    this.cast('unbridge');
  }

  hold(music?: MediaSource): void {
    if (this.closed) return;
    this.playToken++;
    this.holding = true;
    const token = ++this.holdToken;
    if (music?.kind === 'speech') {
      this.client.post({ t: 'hold', s: this.id });
      this.synthesize(music).then(
        (path) => {
          if (this.holdToken === token && !this.closed) {
            this.client.post({ t: 'hold', s: this.id, music: { kind: 'file', path } });
          }
        },
        (err: unknown) =>
          this.engine.logger?.warn({ err }, 'hold music could not be opened; playing the default'),
      );
    } else if (music?.kind === 'stream') {
      this.engine.logger?.warn('hold music cannot be a stream on a media worker; playing the default');
      this.client.post({ t: 'hold', s: this.id });
    } else {
      this.client.post(music ? { t: 'hold', s: this.id, music } : { t: 'hold', s: this.id });
    }
  }

  unhold(): void {
    this.holdToken++;
    this.holding = false;
    this.cast('unhold');
  }

  // ---- events and lifetime -------------------------------------------------------------------

  on<K extends keyof MediaSessionEvents>(event: K, listener: (e: MediaSessionEvents[K]) => void): void {
    this.listeners.on(event, listener);
  }

  off<K extends keyof MediaSessionEvents>(event: K, listener: (e: MediaSessionEvents[K]) => void): void {
    this.listeners.off(event, listener);
  }

  emit<K extends keyof MediaSessionEvents>(event: K, payload: MediaSessionEvents[K]): void {
    this.listeners.emit(event, payload);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unbridge();
    this.playToken++;
    this.holdToken++;
    this.client.post({ t: 'close', s: this.id });
    this.detach();
  }

  /** The worker died: the call learns why (event `failed`) and everything it waited for ends. */
  fail(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.unbridge();
    this.engine.released(this.localPort);
    this.emit('failed', { reason });
    this.detach();
  }

  private detach(): void {
    this.client.sessions.delete(this.id);
    this.client.updateRef();
    this.listeners.clear();
  }
}

/**
 * Feeds a streamed play's chunks to the worker as the synthesiser makes them, at most STREAM_WINDOW
 * chunks ahead of what the worker has taken (the worker's StreamSource stops taking once 60 s are
 * buffered, so a synthesiser faster than real time waits here, as it would in-process).
 */
class StreamPump {
  private sent = 0;
  private acked = 0;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly client: WorkerClient,
    private readonly req: number,
  ) {}

  ack(n: number): void {
    this.acked += n;
    this.wake?.();
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  async run(
    segments: AsyncIterable<AsyncIterable<{ samples: Int16Array; sampleRate: number }>>,
  ): Promise<void> {
    try {
      for await (const segment of segments) {
        let first = true;
        for await (const chunk of segment) {
          while (!this.stopped && this.sent - this.acked >= STREAM_WINDOW) {
            await new Promise<void>((r) => (this.wake = r));
            this.wake = null;
          }
          if (this.stopped) return;
          const samples = chunk.samples.slice();
          this.client.post(
            { t: 'chunk', req: this.req, samples, sampleRate: chunk.sampleRate, segment: first },
            [samples.buffer as ArrayBuffer],
          );
          first = false;
          this.sent++;
        }
      }
      this.client.post({ t: 'stream-end', req: this.req });
    } catch (err) {
      this.client.post({
        t: 'stream-end',
        req: this.req,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}
