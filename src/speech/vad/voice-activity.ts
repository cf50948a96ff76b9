import { Worker } from 'node:worker_threads';
import type { Logger } from '../../logging/logger.js';

const FRAME = 160;
/** Frames sent to the worker together: 40 ms, so detection adds at most one batch of delay. */
const BATCH_FRAMES = 2;

type Reply =
  { ready: true } | { id: number; seq: number; voiced: Uint8Array } | { id: number; error: string };

/** Where one stream's per-frame voice decisions go (in order). */
export type VoicedSink = (voiced: Uint8Array) => void;

/** One caller's detector: 8 kHz 20 ms frames in, voice flags out (through the sink). */
export interface VadStream {
  write(frame: Int16Array): void;
  close(): void;
}

/**
 * WebRTC voice activity detection for every call on one worker thread (src/speech/vad/vad-worker.mjs):
 * frames are batched (40 ms) and posted; flags come back in order. A detector costs about 3 µs per
 * frame there, so one thread serves hundreds of calls; the media clock's thread only copies frames.
 */
export class VoiceActivityPool {
  private worker: Worker | null = null;
  private readonly sinks = new Map<number, VoicedSink>();
  private nextId = 1;
  private failed: Error | null = null;

  constructor(private readonly logger?: Logger) {}

  open(mode: number, sink: VoicedSink): VadStream {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    this.sinks.set(id, sink);
    worker.postMessage({ op: 'open', id, mode });
    if (this.sinks.size === 1) worker.ref();
    let batch = new Int16Array(FRAME * BATCH_FRAMES);
    let filled = 0;
    let seq = 0;
    let closed = false;
    return {
      write: (frame: Int16Array) => {
        if (closed || frame.length !== FRAME) return;
        batch.set(frame, filled * FRAME);
        if (++filled < BATCH_FRAMES) return;
        const pcm = batch;
        batch = new Int16Array(FRAME * BATCH_FRAMES);
        filled = 0;
        this.worker?.postMessage({ op: 'frames', id, seq: seq++, pcm }, [pcm.buffer]);
      },
      close: () => {
        if (closed) return;
        closed = true;
        this.sinks.delete(id);
        this.worker?.postMessage({ op: 'close', id });
        if (this.sinks.size === 0) this.worker?.unref();
      },
    };
  }

  get streams(): number {
    return this.sinks.size;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.sinks.clear();
    if (w) await w.terminate();
  }

  private ensureWorker(): Worker {
    if (this.failed) throw this.failed;
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./vad-worker.mjs', import.meta.url), {
      workerData: { role: 'callwright-vad' },
    });
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) return;
      if ('error' in reply) {
        this.logger?.error({ error: reply.error }, 'voice activity detector failed');
        return;
      }
      this.sinks.get(reply.id)?.(reply.voiced);
    });
    worker.on('error', (err) => {
      this.logger?.error({ err }, 'voice activity thread failed');
      this.failed = err;
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
