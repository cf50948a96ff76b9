/**
 * Messages between the main thread's media engine (worker-media-engine.ts) and a media worker thread
 * (media-worker.ts). Everything is structured-clone data: sessions are named by a number the main
 * thread assigns, and every request that has an answer carries a request number (`req`) that the
 * answer repeats, so answers need no session (they may arrive after the session closed).
 */
import type { MessagePort } from 'node:worker_threads';
import type { CallwrightError } from '../../../errors.js';
import type { PlayOutcome, RecordOptions } from '../../port.js';
import type { NegotiatedAudio } from './sdp-negotiation.js';
import type { Direction } from './sdp-types.js';

/**
 * RtpMediaSession methods the proxy forwards as they are (plain-data arguments and result): a new
 * method of that kind is one entry here plus one line in ProxyMediaSession calling `invoke`/`cast`.
 */
export const FORWARDED_METHODS = ['sendDtmf', 'notifyDtmf', 'stopPlayback', 'unhold', 'unbridge'] as const;
export type ForwardedMethod = (typeof FORWARDED_METHODS)[number];

/**
 * A whole-call recording's handle, forwarded: the worker keeps each recording by a token the proxy
 * picks (not on the session, which is gone once its call ends while the file is still being finished).
 */
export const RECORDING_METHODS = [
  'startCallRecording',
  'pauseCallRecording',
  'resumeCallRecording',
  'stopCallRecording',
] as const;
export type RecordingMethod = (typeof RECORDING_METHODS)[number];

/** A MediaSource a worker can open itself (speech is synthesised on the main thread first). */
export type WorkerSource =
  | { kind: 'file'; path: string }
  | { kind: 'tone'; frequencies: number[]; durationMs: number; onMs?: number; offMs?: number }
  | { kind: 'silence'; durationMs: number }
  /** Chunks follow as `chunk` messages with the same `req`. */
  | { kind: 'stream' };

export interface WorkerSettings {
  index: number;
  address: string;
  advertisedAddress: string;
  timeoutMs: number;
  holdMusic: string;
  logLevel: string;
}

export type ToWorker =
  | { t: 'create'; req: number; s: number; port: number }
  | { t: 'close'; s: number }
  | { t: 'apply'; s: number; negotiated: NegotiatedAudio; direction: Direction }
  | {
      t: 'play';
      req: number;
      s: number;
      source: WorkerSource;
      loop: boolean;
      interruptOnDtmf: boolean;
      started: boolean;
    }
  | { t: 'abort'; req: number }
  | { t: 'chunk'; req: number; samples: Int16Array; sampleRate: number; segment: boolean }
  | { t: 'stream-end'; req: number; error?: string }
  | { t: 'listen'; req: number; s: number }
  | { t: 'unlisten'; req: number }
  | { t: 'record'; req: number; s: number; options: Omit<RecordOptions, 'signal'> }
  | { t: 'hold'; s: number; music?: Exclude<WorkerSource, { kind: 'stream' }> }
  | { t: 'bridge'; s: number; peer: number }
  | { t: 'bridge-remote'; s: number; worker: number; peer: number }
  | { t: 'invoke'; req: number; s: number; method: ForwardedMethod | RecordingMethod; args: unknown[] }
  | { t: 'cast'; s: number; method: ForwardedMethod | RecordingMethod; args: unknown[] }
  | { t: 'link'; worker: number; port: MessagePort }
  /** `gc`: collect first when the process runs with --expose-gc (benchmarks), so the heap is what is live. */
  | { t: 'stats'; req: number; reset: boolean; gc?: boolean }
  | { t: 'shutdown'; req: number };

export interface LatenessSnapshot {
  counts: Uint32Array;
  total: number;
  maxMs: number;
  skippedTicks: number;
}

export type FromWorker =
  | { t: 'ok'; req: number; value?: unknown }
  | { t: 'err'; req: number; error: SerializedError }
  | { t: 'bind-failed'; req: number }
  | { t: 'closed'; s: number; port: number }
  | { t: 'started'; req: number }
  | { t: 'played'; req: number; outcome: PlayOutcome }
  | { t: 'ack'; req: number; n: number }
  | { t: 'frames'; taps: number[]; pcm: Int16Array }
  | { t: 'tap-ended'; req: number; reason: 'stopped' | 'hangup' | 'error'; error?: string }
  | { t: 'event'; s: number; name: 'dtmf'; payload: { digit: string; durationMs: number } }
  | { t: 'event'; s: number; name: 'timeout' }
  | {
      t: 'stats';
      req: number;
      lateness: LatenessSnapshot;
      sessions: number;
      received: number;
      sent: number;
      /** The worker's own V8 heap: used, and the memory it holds (physical), bytes. */
      heapUsed: number;
      heapPhysical: number;
    }
  | { t: 'log'; line: string };

/** Frames sent from one worker to another for cross-worker bridges, batched per clock slot. */
export interface BridgeFrames {
  /** Pairs (from session, to session) per frame. */
  ids: number[];
  pcm: Int16Array;
}

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  issues?: CallwrightError['issues'];
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; issues?: CallwrightError['issues'] };
    return {
      name: e.name,
      message: e.message,
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      ...(Array.isArray(e.issues) ? { issues: e.issues } : {}),
    };
  }
  return { name: 'Error', message: String(err) };
}
