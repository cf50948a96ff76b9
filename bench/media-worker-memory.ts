/**
 * Does memory stay flat while media worker threads carry call after call?
 *
 *   npm run bench:media-memory -- --minutes 10 [--workers 2] [--concurrency 40] [--hold-ms 2000]
 *                                 [--no-tap] [--rtp-min 51600]
 *
 * Sessions on WorkerMediaEngine (the engine under test, `media.workers`; --workers 0 = the in-process
 * engine, for comparison) are called by far ends on an
 * in-process engine in this same process: each call negotiates SDP, the far end sends a tone for the
 * whole call, the worker session plays a WAV prompt, taps what it hears, and both close after
 * --hold-ms; --concurrency calls are kept up at once, a new one started as soon as one ends. Every
 * 30 s it prints the process RSS, the main thread's heap after a forced collection, each worker's heap
 * after its own forced collection (node runs with --expose-gc) and the calls done; at the end the
 * growth from the first print. "held" is the memory each worker's V8 heap holds
 * (total_physical_size), which is where RSS goes beyond the live heap. Prints numbers; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  createMediaEngine,
  WorkerMediaEngine,
  type MediaSettings,
} from '../src/telephony/embedded/media/index.js';
import { writeWav8kMono } from '../src/telephony/embedded/media/wav-writer.js';
import { positiveOption } from './options.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string' },
    workers: { type: 'string' },
    concurrency: { type: 'string' },
    'hold-ms': { type: 'string' },
    'rtp-min': { type: 'string' },
    'no-tap': { type: 'boolean' },
  },
});

const option = (name: keyof typeof args, fallback: number): number => positiveOption(args, name, fallback);

const minutes = option('minutes', 10);
const workers = Math.round(Number(args.workers ?? 2));
const concurrency = Math.round(option('concurrency', 40));
const holdMs = option('hold-ms', 2000);
const rtpMin = Math.round(option('rtp-min', 51600));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:media-memory does)');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

function settings(min: number, max: number): MediaSettings {
  return {
    address: '127.0.0.1',
    advertised_address: '',
    rtp_port_min: min,
    rtp_port_max: max,
    timeout_ms: 0,
    hold_music: '',
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'callwright-bench-'));
  const prompt = path.join(dir, 'prompt.wav');
  await writeWav8kMono(
    prompt,
    Int16Array.from({ length: 8000 * 3 }, (_, i) =>
      Math.round(6000 * Math.sin((2 * Math.PI * 523 * i) / 8000)),
    ),
  );
  const span = concurrency * 4 + 40;
  const engine =
    workers > 0
      ? new WorkerMediaEngine(settings(rtpMin, rtpMin + span - 1), workers)
      : createMediaEngine(settings(rtpMin, rtpMin + span - 1));
  const far = createMediaEngine(settings(rtpMin + span, rtpMin + 2 * span - 1));
  let done = 0;
  let heard = 0;
  let stop = false;

  async function call(): Promise<void> {
    const a = await engine.createSession();
    const b = await far.createSession();
    a.applyAnswer(b.answerOffer(a.createOffer()));
    void b.play({ kind: 'tone', frequencies: [440], durationMs: 60_000 }, { loop: true });
    const tap = args['no-tap'] ? null : a.listen(() => heard++);
    void a.play({ kind: 'file', path: prompt });
    await sleep(holdMs);
    tap?.stop();
    a.close();
    b.close();
    done++;
  }
  const lanes = Array.from({ length: concurrency }, async (_, i) => {
    await sleep((i * holdMs) / concurrency);
    while (!stop) await call();
  });

  const sample = async (): Promise<{
    rss: number;
    heap: number;
    external: number;
    workers: number[];
    physical: number[];
  }> => {
    gc?.();
    const detail = engine instanceof WorkerMediaEngine ? await engine.detail(false, true) : null;
    const usage = process.memoryUsage();
    return {
      rss: usage.rss,
      heap: usage.heapUsed,
      external: usage.external,
      workers: detail?.workers.map((w) => w.heapUsedMb * 2 ** 20) ?? [],
      physical: detail?.workers.map((w) => w.heapPhysicalMb * 2 ** 20) ?? [],
    };
  };
  console.log(
    `media worker memory: ${workers} workers, ${concurrency} calls at once, ${holdMs} ms each, ${minutes} min`,
  );
  console.log(
    'time  calls done  frames heard  rss MB  main heap MB (after gc)  external MB  worker heaps MB (after gc)',
  );
  const started = Date.now();
  let first: Awaited<ReturnType<typeof sample>> | null = null;
  let last: Awaited<ReturnType<typeof sample>> | null = null;
  while (Date.now() - started < minutes * 60_000) {
    await sleep(30_000);
    last = await sample();
    first ??= last;
    console.log(
      `${((Date.now() - started) / 60_000).toFixed(1)} min  ${done}  ${heard}  ${mb(last.rss)}  ${mb(last.heap)}  ${mb(last.external)}  ${last.workers.map(mb).join(' / ')} (held ${last.physical.map(mb).join(' / ')})`,
    );
  }
  stop = true;
  await Promise.all(lanes);
  if (first && last) {
    const per = (d: number): string => ((d / 2 ** 20 / Math.max(done, 1)) * 1000).toFixed(3);
    console.log(
      `growth from the first print: rss ${mb(last.rss - first.rss)} MB, main heap ${mb(last.heap - first.heap)} MB, worker heaps ${last.workers.map((w, i) => mb(w - (first?.workers[i] ?? 0))).join(' / ')} MB (${per(last.rss - first.rss)} MB rss per 1,000 calls)`,
    );
  }
  await engine.close();
  await far.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
