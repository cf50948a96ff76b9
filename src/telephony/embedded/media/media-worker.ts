/**
 * A media worker thread: its own media clock, RTP sockets and RtpMediaSessions for the sessions the
 * main thread placed here, driven by messages (worker-protocol.ts). Nothing here runs on the pacing
 * path but the sessions themselves: tap frames and cross-worker bridge frames are copied into
 * per-slot batches and posted once the clock's slot is done (a microtask after it).
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { pino } from 'pino';
import { CallwrightError } from '../../../errors.js';
import type { CallRecording, CallRecordingOptions, MediaSource, PcmChunk, PlayOutcome } from '../../port.js';
import { AudioFileCache } from './audio-file-cache.js';
import { FRAME_SAMPLES, generateHoldChime, LoopSource, PcmSource } from './audio-source.js';
import { MediaClock } from './media-clock.js';
import { bindRtpSocket } from './port-allocator.js';
import { RtpMediaSession, type RemoteBridge, type SessionContext } from './rtp-media-session.js';
import {
  FORWARDED_METHODS,
  RECORDING_METHODS,
  serializeError,
  type ForwardedMethod,
  type RecordingMethod,
  type BridgeFrames,
  type FromWorker,
  type ToWorker,
  type WorkerSettings,
  type WorkerSource,
} from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('media-worker.ts runs as a worker thread only');
const settings = workerData as WorkerSettings;

function post(m: FromWorker, transfer?: ArrayBuffer[]): void {
  port?.postMessage(m, transfer ?? []);
}

// Log lines go to the main thread's logger (its level, redaction and destination).
const logger = pino(
  { level: settings.logLevel, base: { mediaWorker: settings.index } },
  { write: (line: string) => post({ t: 'log', line }) },
);

const clock = new MediaClock((err) => logger.error({ err }, 'media session failed on the clock; dropped'));
const files = new AudioFileCache();
let holdPcm = generateHoldChime();
if (settings.holdMusic) {
  files.load(settings.holdMusic).then(
    (pcm) => (holdPcm = pcm),
    (err: unknown) => logger.warn({ err }, 'media.hold_music cannot be played; using the generated chime'),
  );
}

const sessions = new Map<number, RtpMediaSession>();
const ids = new Map<RtpMediaSession, number>();
const ctx: SessionContext = {
  clock,
  files,
  holdMusic: () => new LoopSource(new PcmSource(holdPcm)),
  advertisedAddress: settings.advertisedAddress,
  timeoutMs: settings.timeoutMs,
  logger,
  released: (session) => {
    const s = ids.get(session);
    if (s === undefined) return;
    ids.delete(session);
    sessions.delete(s);
    post({ t: 'closed', s, port: session.localPort });
  },
};

// ---- batches posted after the clock's slot ------------------------------------------------------

let tapTaps: number[] = [];
let tapPcm: Int16Array[] = [];
const bridgeOut = new Map<number, { ids: number[]; pcm: Int16Array[] }>();
let flushQueued = false;

function queueFlush(): void {
  if (flushQueued) return;
  flushQueued = true;
  queueMicrotask(flush);
}

function concat(frames: Int16Array[]): Int16Array {
  const pcm = new Int16Array(frames.length * FRAME_SAMPLES);
  frames.forEach((f, i) => pcm.set(f, i * FRAME_SAMPLES));
  return pcm;
}

function flush(): void {
  flushQueued = false;
  if (tapTaps.length > 0) {
    const pcm = concat(tapPcm);
    post({ t: 'frames', taps: tapTaps, pcm }, [pcm.buffer as ArrayBuffer]);
    tapTaps = [];
    tapPcm = [];
  }
  for (const [worker, batch] of bridgeOut) {
    const link = links.get(worker);
    if (link && batch.ids.length > 0) {
      const pcm = concat(batch.pcm);
      link.postMessage({ ids: batch.ids, pcm } satisfies BridgeFrames, [pcm.buffer as ArrayBuffer]);
    }
  }
  bridgeOut.clear();
}

// ---- cross-worker bridges ----------------------------------------------------------------------

/** Frames queued before the first is played: absorbs the jitter of messages between threads. */
const PREFILL = 2;
const QUEUE_MAX = 5;

class RemotePeer implements RemoteBridge {
  private readonly queue: Int16Array[] = [];
  private primed = false;

  constructor(
    readonly self: number,
    readonly worker: number,
    readonly peer: number,
  ) {}

  forward(frame: Int16Array): void {
    let batch = bridgeOut.get(this.worker);
    if (!batch) bridgeOut.set(this.worker, (batch = { ids: [], pcm: [] }));
    batch.ids.push(this.self, this.peer);
    batch.pcm.push(frame.slice());
    queueFlush();
  }

  receive(frame: Int16Array): void {
    this.queue.push(frame);
    // A consumer stalled behind its producer drops the oldest audio rather than lagging for good.
    if (this.queue.length > QUEUE_MAX) this.queue.shift();
  }

  takeFrame(out: Int16Array): boolean {
    if (!this.primed) {
      if (this.queue.length < PREFILL) return false;
      this.primed = true;
    }
    const frame = this.queue.shift();
    if (!frame) {
      // Ran dry (the peer went quiet or fell behind): fill up again before resuming.
      this.primed = false;
      return false;
    }
    out.set(frame);
    return true;
  }
}

const remotes = new Map<number, RemotePeer>();
const links = new Map<number, MessagePort>();

function onBridgeFrames(from: number, m: BridgeFrames): void {
  for (let i = 0; i < m.ids.length / 2; i++) {
    const source = m.ids[2 * i] as number;
    const target = m.ids[2 * i + 1] as number;
    const remote = remotes.get(target);
    if (remote && remote.worker === from && remote.peer === source) {
      remote.receive(m.pcm.subarray(i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES));
    }
  }
}

// ---- streams from the main thread --------------------------------------------------------------

/** Chunks of a streamed play, fed by `chunk` messages; acknowledged as the StreamSource takes them. */
class ChunkChannel {
  private readonly chunks: Array<{ chunk: PcmChunk; segment: boolean } | null> = [];
  private wake: (() => void) | null = null;
  private error: string | undefined;
  private ended = false;

  constructor(private readonly req: number) {}

  push(chunk: PcmChunk, segment: boolean): void {
    this.chunks.push({ chunk, segment });
    this.wake?.();
  }

  end(error?: string): void {
    this.ended = true;
    this.error = error;
    this.wake?.();
  }

  private async next(): Promise<{ chunk: PcmChunk; segment: boolean } | null> {
    for (;;) {
      const item = this.chunks.shift();
      if (item) {
        post({ t: 'ack', req: this.req, n: 1 });
        return item;
      }
      if (this.ended) {
        if (this.error !== undefined) throw new Error(this.error);
        return null;
      }
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }

  /** Segments as StreamSource reads them: a chunk flagged `segment` starts a new one. */
  async *segments(): AsyncGenerator<AsyncIterable<PcmChunk>> {
    const state: SegmentState = { pending: await this.next() };
    while (state.pending) {
      const first = state.pending;
      state.pending = null;
      yield this.segment(first, state);
      // Null here: the stream ended, or the segment was not read to its end (the play stopped).
    }
  }

  private async *segment(first: Queued, state: SegmentState): AsyncGenerator<PcmChunk> {
    yield first.chunk;
    for (;;) {
      const item = await this.next();
      if (!item) return;
      if (item.segment) {
        state.pending = item;
        return;
      }
      yield item.chunk;
    }
  }
}

interface Queued {
  chunk: PcmChunk;
  segment: boolean;
}

interface SegmentState {
  pending: Queued | null;
}

const streams = new Map<number, ChunkChannel>();
const aborts = new Map<number, AbortController>();
const taps = new Map<number, () => void>();

function openWorkerSource(source: WorkerSource, req: number): MediaSource {
  if (source.kind !== 'stream') return source;
  const channel = new ChunkChannel(req);
  streams.set(req, channel);
  return { kind: 'stream', segments: channel.segments() };
}

function reply(req: number, work: Promise<unknown>): void {
  work.then(
    (value) => post(value === undefined ? { t: 'ok', req } : { t: 'ok', req, value }),
    (err: unknown) => post({ t: 'err', req, error: serializeError(err) }),
  );
}

/** Whole-call recordings by the proxy's token; a stopped one is forgotten. */
const callRecordings = new Map<number, CallRecording>();

function isRecordingMethod(method: string): method is RecordingMethod {
  return (RECORDING_METHODS as readonly string[]).includes(method);
}

/** The forwarded form of recordCall and its handle (see RECORDING_METHODS). */
function callRecording(
  method: RecordingMethod,
  rtp: RtpMediaSession | undefined,
  args: unknown[],
): Promise<unknown> {
  const token = args[0] as number;
  switch (method) {
    case 'startCallRecording':
      if (!rtp) return Promise.reject(new CallwrightError('PRECONDITION', 'recordCall: the call has ended'));
      callRecordings.set(token, rtp.recordCall(args[1] as CallRecordingOptions));
      return Promise.resolve();
    case 'pauseCallRecording':
      callRecordings.get(token)?.pause();
      return Promise.resolve();
    case 'resumeCallRecording':
      callRecordings.get(token)?.resume();
      return Promise.resolve();
    case 'stopCallRecording': {
      const recording = callRecordings.get(token);
      callRecordings.delete(token);
      if (!recording) {
        return Promise.reject(
          new CallwrightError('PRECONDITION', 'recordCall: no such recording on this worker'),
        );
      }
      return recording.stop();
    }
  }
}

function session(s: number): RtpMediaSession | undefined {
  return sessions.get(s);
}

// ---- messages ----------------------------------------------------------------------------------

function handle(m: ToWorker): void {
  switch (m.t) {
    case 'create': {
      void bindRtpSocket(settings.address, m.port).then((socket) => {
        if (!socket) return post({ t: 'bind-failed', req: m.req });
        const rtp = new RtpMediaSession(socket, m.port, ctx);
        sessions.set(m.s, rtp);
        ids.set(rtp, m.s);
        rtp.on('dtmf', (payload) => post({ t: 'event', s: m.s, name: 'dtmf', payload }));
        rtp.on('timeout', () => post({ t: 'event', s: m.s, name: 'timeout' }));
        post({ t: 'ok', req: m.req });
      });
      return;
    }
    case 'close':
      remotes.delete(m.s);
      session(m.s)?.close();
      return;
    case 'apply':
      session(m.s)?.applyNegotiated(m.negotiated, m.direction);
      return;
    case 'play': {
      const rtp = session(m.s);
      if (!rtp) return post({ t: 'played', req: m.req, outcome: { status: 'hangup', durationMs: 0 } });
      const abort = new AbortController();
      aborts.set(m.req, abort);
      const source = openWorkerSource(m.source, m.req);
      rtp
        .play(source, {
          loop: m.loop,
          interruptOnDtmf: m.interruptOnDtmf,
          signal: abort.signal,
          ...(m.started ? { onStarted: () => post({ t: 'started', req: m.req }) } : {}),
        })
        .then(
          (outcome: PlayOutcome) => post({ t: 'played', req: m.req, outcome }),
          (err: unknown) => post({ t: 'err', req: m.req, error: serializeError(err) }),
        )
        .finally(() => {
          aborts.delete(m.req);
          streams.get(m.req)?.end();
          streams.delete(m.req);
        });
      return;
    }
    case 'abort':
      aborts.get(m.req)?.abort();
      return;
    case 'chunk':
      streams.get(m.req)?.push({ samples: m.samples, sampleRate: m.sampleRate }, m.segment);
      return;
    case 'stream-end':
      streams.get(m.req)?.end(m.error);
      return;
    case 'listen': {
      const rtp = session(m.s);
      if (!rtp) return post({ t: 'tap-ended', req: m.req, reason: 'hangup' });
      const tap = rtp.listen((frame) => {
        tapTaps.push(m.req);
        tapPcm.push(frame);
        queueFlush();
      });
      taps.set(m.req, () => tap.stop());
      void tap.stopped.then((e) => {
        taps.delete(m.req);
        // Frames queued before the end go first.
        flush();
        post({ t: 'tap-ended', req: m.req, reason: e.reason });
      });
      return;
    }
    case 'unlisten':
      taps.get(m.req)?.();
      return;
    case 'record': {
      const rtp = session(m.s);
      if (!rtp) {
        return post({
          t: 'ok',
          req: m.req,
          value: { reason: 'hangup', path: m.options.path, durationMs: 0 },
        });
      }
      const abort = new AbortController();
      aborts.set(m.req, abort);
      reply(
        m.req,
        rtp.record({ ...m.options, signal: abort.signal }).finally(() => aborts.delete(m.req)),
      );
      return;
    }
    case 'hold':
      session(m.s)?.hold(m.music);
      return;
    case 'bridge': {
      const a = session(m.s);
      const b = session(m.peer);
      if (a && b) {
        remotes.delete(m.s);
        remotes.delete(m.peer);
        a.bridge(b);
      }
      return;
    }
    case 'bridge-remote': {
      const rtp = session(m.s);
      if (!rtp) return;
      const remote = new RemotePeer(m.s, m.worker, m.peer);
      remotes.set(m.s, remote);
      rtp.bridgeRemote(remote);
      return;
    }
    case 'invoke':
    case 'cast': {
      const rtp = session(m.s);
      if (isRecordingMethod(m.method)) {
        const work = callRecording(m.method, rtp, m.args);
        if (m.t === 'invoke') reply(m.req, work);
        else work.catch((err: unknown) => logger.warn({ err }, `${m.method} failed`));
        return;
      }
      if (!FORWARDED_METHODS.includes(m.method as ForwardedMethod)) {
        if (m.t === 'invoke') {
          post({
            t: 'err',
            req: m.req,
            error: serializeError(
              new CallwrightError('INTERNAL', `media worker: ${m.method} is not forwarded`),
            ),
          });
        }
        return;
      }
      if (m.method === 'unbridge') remotes.delete(m.s);
      const method = m.method as ForwardedMethod;
      const call = (): unknown => {
        if (!rtp) return undefined;
        const fn = rtp[method] as (...args: unknown[]) => unknown;
        return fn.apply(rtp, m.args);
      };
      if (m.t === 'cast') {
        try {
          const result = call();
          if (result instanceof Promise)
            result.catch((err: unknown) => logger.warn({ err }, `${m.method} failed`));
        } catch (err) {
          logger.warn({ err }, `${m.method} failed`);
        }
      } else reply(m.req, Promise.resolve().then(call));
      return;
    }
    case 'link': {
      links.set(m.worker, m.port);
      m.port.on('message', (frames: BridgeFrames) => onBridgeFrames(m.worker, frames));
      // A link alone must not keep the worker alive.
      m.port.unref();
      return;
    }
    case 'stats': {
      const lateness = clock.latenessSnapshot();
      if (m.reset) clock.resetStats();
      let received = 0;
      let sent = 0;
      for (const rtp of sessions.values()) {
        received += rtp.counters.received;
        sent += rtp.counters.sent;
      }
      const gc = (globalThis as { gc?: () => void }).gc;
      if (m.gc && gc) gc();
      const heap = getHeapStatistics();
      const heapUsed = heap.used_heap_size;
      const heapPhysical = heap.total_physical_size;
      post(
        { t: 'stats', req: m.req, lateness, sessions: sessions.size, received, sent, heapUsed, heapPhysical },
        [lateness.counts.buffer as ArrayBuffer],
      );
      return;
    }
    case 'shutdown': {
      for (const rtp of [...sessions.values()]) rtp.close();
      clock.stop();
      reply(m.req, files.close());
      return;
    }
  }
}

port.on('message', (m: ToWorker) => {
  try {
    handle(m);
  } catch (err) {
    logger.error({ err, message: m.t }, 'media worker could not handle a message');
  }
});
