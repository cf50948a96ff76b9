import { Worker } from 'node:worker_threads';

interface Job {
  resolve: (pcm: Int16Array) => void;
  reject: (err: Error) => void;
}

type Reply = { id: number; pcm: Int16Array } | { id: number; error: string };

const JOB_TIMEOUT_MS = 60_000;

/**
 * Decodes and resamples WAV files on one worker thread, so the media clock's thread never spends
 * a second resampling a long file. The worker starts on first use and does not keep the process alive.
 */
export class WavDecodePool {
  private worker: Worker | null = null;
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;

  decode(bytes: Uint8Array): Promise<Int16Array> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<Int16Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.jobs.delete(id);
        reject(new Error(`WAV decoding took longer than ${JOB_TIMEOUT_MS} ms`));
      }, JOB_TIMEOUT_MS);
      timer.unref();
      const done = (fn: () => void): void => {
        clearTimeout(timer);
        this.jobs.delete(id);
        fn();
      };
      this.jobs.set(id, {
        resolve: (pcm) => done(() => resolve(pcm)),
        reject: (err) => done(() => reject(err)),
      });
      if (this.jobs.size === 1) worker.ref();
      worker.postMessage({ id, bytes });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./wav-decoder.mjs', import.meta.url), {
      workerData: { role: 'callwright-wav-decoder' },
    });
    worker.on('message', (reply: Reply) => {
      const job = this.jobs.get(reply.id);
      if (!job) return;
      if ('error' in reply) job.reject(new Error(reply.error));
      else job.resolve(reply.pcm);
      if (this.jobs.size === 0) worker.unref();
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      this.failAll(new Error('WAV decoder thread exited'));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failAll(err: Error): void {
    for (const job of [...this.jobs.values()]) job.reject(err);
  }
}
