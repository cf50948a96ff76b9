// Entry of a media worker thread. Worker threads do not inherit a loader registered in the main
// thread (tsx's register(), vitest's transform), so when the engine runs from TypeScript sources the
// worker registers tsx itself before loading media-worker.ts.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
