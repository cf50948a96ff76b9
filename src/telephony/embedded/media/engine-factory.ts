import { availableParallelism } from 'node:os';
import {
  createMediaEngine,
  type MediaEngineDeps,
  type MediaSettings,
  type RtpMediaEngine,
} from './media-engine.js';
import { WorkerMediaEngine } from './worker-media-engine.js';

/** `media.workers: auto` never starts more threads than this (each has its own clock and sockets). */
export const AUTO_WORKERS_CAP = 8;

/** How many media worker threads `media.workers` asks for on this machine (0 = in-process). */
export function mediaWorkerCount(workers: MediaSettings['workers'], cores = availableParallelism()): number {
  if (workers === undefined) return 0;
  if (workers === 'auto') return cores < 2 ? 0 : Math.min(cores, AUTO_WORKERS_CAP);
  return workers;
}

/**
 * The embedded backend's media engine as `media.workers` asks: in-process (one shared clock on the
 * main thread) or spread over worker threads.
 */
export function createConfiguredMediaEngine(
  settings: MediaSettings,
  deps: MediaEngineDeps = {},
): RtpMediaEngine | WorkerMediaEngine {
  const count = mediaWorkerCount(settings.workers);
  if (count === 0) return createMediaEngine(settings, deps);
  return new WorkerMediaEngine(settings, count, {
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.speech ? { speech: deps.speech } : {}),
  });
}
