import { Worker } from 'node:worker_threads';
import type { WavLevel } from './recording-level.mjs';

export type { WavLevel };

const MEASURE_TIMEOUT_MS = 30_000;

/**
 * Measures a recorded WAV file on a worker thread of its own (one per message; messages are rare),
 * so decoding never runs on the thread that paces RTP. Rejects when the file cannot be read or
 * decoded, or the measurement takes longer than 30 s.
 */
export function measureRecordingLevel(path: string): Promise<WavLevel> {
  return new Promise<WavLevel>((resolve, reject) => {
    const worker = new Worker(new URL('./recording-level.mjs', import.meta.url), {
      workerData: { role: 'callwright-recording-level', path },
    });
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      fn();
    };
    const timer = setTimeout(
      () => settle(() => reject(new Error(`measuring ${path} took longer than ${MEASURE_TIMEOUT_MS} ms`))),
      MEASURE_TIMEOUT_MS,
    );
    worker.on('message', (reply: { level: WavLevel } | { error: string }) =>
      settle(() => ('error' in reply ? reject(new Error(reply.error)) : resolve(reply.level))),
    );
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) =>
      settle(() => reject(new Error(`the level measurement thread exited (code ${code})`))),
    );
  });
}
