/**
 * Media benchmark: N concurrent calls at 50 packets/s each way on UDP loopback, N ramped.
 *
 * Modes (BENCH_MODE):
 *   split (default)  a call = 1 session in this (measured) process + its far end in a peer process
 *                    (bench/media-peer.ts), as a server with N calls and sipp beside it would run.
 *                    This process sends a looped WAV prompt and receives the peer's tone.
 *   single           a call = 2 sessions, both in this process: twice the media work per call.
 *
 *   npm run bench:media                                   # ramp 100, 250, 500, 750, 1000 calls
 *   BENCH_CALLS=500,750 BENCH_SECONDS=15 BENCH_MODE=single npm run bench:media
 *   npm run bench:media -- --workers 2                    # media on 2 worker threads (media.workers)
 *   BENCH_PEER_NICE (default 10): niceness of the peer process, the load generator
 *   BENCH_RTP_MIN / BENCH_RTP_MAX (this process, default 25000-27499), BENCH_PEER_RTP_MIN/MAX (peer,
 *   default 27500-29999)
 *
 * Lateness is per frame: when its packet left minus its absolute deadline on the shared clock.
 * "preempted/s" counts involuntary context switches of this process (the OS gave its core to another
 * process): on a shared machine a high count with CPU well below 100% explains tail lateness that is
 * not ours. "loop delay" is Node's event-loop delay histogram over the same window.
 * With --workers N the measured process runs its sessions on N media worker threads (0 = in-process,
 * the default); lateness is then given overall (all workers' frames merged) and per worker, and
 * "CPU % here" is the whole process (every thread; 200 = both cores of a 2-core machine).
 * Targets: 1,000 concurrent calls with frame lateness p99 < 5 ms and <= 0.1 MB per call.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, setPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  createMediaEngine,
  WorkerMediaEngine,
  type MediaEngineDetail,
  type MediaSession,
  type MediaSettings,
  type WorkerEngineDetail,
} from '../src/telephony/embedded/media/index.js';
import type { RtpMediaSession } from '../src/telephony/embedded/media/rtp-media-session.js';
import { writeWav8kMono } from '../src/telephony/embedded/media/wav-writer.js';
import type { PeerReply, PeerRequest } from './media-peer.js';

const steps = (process.env.BENCH_CALLS ?? '100,250,500,750,1000').split(',').map(Number);
const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const mode = process.env.BENCH_MODE === 'single' ? 'single' : 'split';
const peerNice = Number(process.env.BENCH_PEER_NICE ?? 10);
const gc = (globalThis as { gc?: () => void }).gc;

function workersArg(): number {
  const i = process.argv.indexOf('--workers');
  if (i < 0) return 0;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`--workers ${process.argv[i + 1]}: expected a whole number >= 0 (0 = in-process)`);
  }
  return n;
}
const workers = workersArg();

const settings: MediaSettings = {
  address: '127.0.0.1',
  advertised_address: '',
  rtp_port_min: Number(process.env.BENCH_RTP_MIN ?? 25000),
  rtp_port_max: Number(process.env.BENCH_RTP_MAX ?? (mode === 'single' ? 29999 : 27499)),
  timeout_ms: 0,
  hold_music: '',
};

/** The engine under test, in-process or on worker threads, behind one shape for the loop below. */
interface Bench {
  create(): Promise<MediaSession>;
  reset(): Promise<void>;
  detail(): Promise<MediaEngineDetail & { received: number; workers?: WorkerEngineDetail['workers'] }>;
  close(): Promise<void>;
}

function benchEngine(): Bench {
  if (workers > 0) {
    const engine = new WorkerMediaEngine(settings, workers);
    return {
      create: () => engine.createSession(),
      reset: () => engine.resetStats(),
      detail: () => engine.detail(),
      close: () => engine.close(),
    };
  }
  const engine = createMediaEngine(settings);
  const sessions = new Set<RtpMediaSession>();
  return {
    async create() {
      const s = await engine.createRtpSession();
      sessions.add(s);
      return s;
    },
    reset: async () => engine.resetStats(),
    detail: async () => ({
      ...engine.detail(),
      received: [...sessions].reduce((n, s) => n + s.counters.received, 0),
    }),
    close: () => engine.close(),
  };
}
const engine = benchEngine();

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(3);

function memory(): number {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.rss;
}

/** The peer process and a request/reply channel to it. */
function startPeer(): { child: ChildProcess; ask: (m: PeerRequest) => Promise<PeerReply> } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const child = fork(path.join(here, 'media-peer.ts'), [], { execArgv: ['--import', 'tsx'] });
  // The peer is the load generator (sipp's role), not the system under test: on a 2-core machine it
  // yields the CPU to the measured process first (BENCH_PEER_NICE=0 to compete as an equal).
  if (child.pid) setPriority(child.pid, peerNice);
  const ask = (m: PeerRequest): Promise<PeerReply> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('media peer did not answer in 60 s')), 60_000);
      child.once('message', (reply: PeerReply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      child.send(m);
    });
  return { child, ask };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'callwright-bench-'));
  const prompt = path.join(dir, 'prompt.wav');
  const pcm = Int16Array.from({ length: 8000 * 3 }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * 523 * i) / 8000) * Math.sin((Math.PI * i) / 24000)),
  );
  await writeWav8kMono(prompt, pcm);
  const peer = mode === 'split' ? startPeer() : null;
  console.log(
    `media benchmark, ${workers > 0 ? `${workers} media worker threads` : 'in-process media (no workers)'}, mode ${mode}: ${mode === 'split' ? `a call = 1 session here + its far end in a peer process (nice ${peerNice})` : 'a call = 2 sessions in this process'}; 50 pps each way; ${seconds} s per step`,
  );
  console.log(
    'calls  sessions here  lateness p50 / p99 / max (ms)  skipped ticks  CPU % here  rx here (got/expected)  MB/call (rss)  load avg  preempted/s  loop delay p99 (ms)  main busy %',
  );
  const sessions: MediaSession[] = [];
  const warm = await engine.create();
  warm.close();
  await sleep(workers > 0 ? 1000 : 0); // the workers finish loading
  const base = memory();
  let calls = 0;
  for (const target of steps) {
    const added: MediaSession[] = [];
    while (calls < target) {
      const a = await engine.create();
      if (peer) added.push(a);
      else {
        const b = await engine.create();
        a.applyAnswer(b.answerOffer(a.createOffer()));
        void b.play({ kind: 'tone', frequencies: [350, 440], durationMs: 3_600_000 }, { loop: true });
        sessions.push(b);
      }
      sessions.push(a);
      void a.play({ kind: 'file', path: prompt }, { loop: true });
      calls++;
    }
    if (peer && added.length > 0) {
      const reply = await peer.ask({ type: 'offers', offers: added.map((s) => s.createOffer()) });
      if (reply.type !== 'answers') throw new Error('unexpected peer reply');
      reply.answers.forEach((answer, i) => added[i]?.applyAnswer(answer));
    }
    await sleep(1500); // jitter buffers fill, start-up bursts pass
    const rx0 = (await engine.detail()).received;
    await engine.reset();
    const cpu0 = process.cpuUsage();
    const switches0 = process.resourceUsage().involuntaryContextSwitches;
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const mainBusy = performance.eventLoopUtilization(elu0).utilization;
    loop.disable();
    const preempted = process.resourceUsage().involuntaryContextSwitches - switches0;
    const d = await engine.detail();
    const rx = d.received - rx0;
    const expected = Math.round((sessions.length * 50 * wall) / 1000);
    const rss = memory();
    console.log(
      [
        String(calls).padStart(5),
        String(sessions.length).padStart(14),
        `  ${d.latenessP50Ms.toFixed(2)} / ${d.latenessP99Ms.toFixed(2)} / ${d.latenessMaxMs.toFixed(1)}`.padEnd(
          31,
        ),
        String(d.skippedTicks).padStart(13),
        (((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(0).padStart(10),
        `  ${rx}/${expected}`.padEnd(24),
        mb((rss - base) / calls).padStart(13),
        loadavg()[0]?.toFixed(2).padStart(9),
        ((preempted * 1000) / wall).toFixed(0).padStart(12),
        (loop.percentile(99) / 1e6).toFixed(1).padStart(20),
        (mainBusy * 100).toFixed(0).padStart(11),
      ].join(' '),
    );
    for (const w of d.workers ?? []) {
      console.log(
        `       worker ${w.index}: ${w.sessions} sessions, lateness p50 / p99 / max ${w.latenessP50Ms.toFixed(2)} / ${w.latenessP99Ms.toFixed(2)} / ${w.latenessMaxMs.toFixed(1)} ms, skipped ticks ${w.skippedTicks}`,
      );
    }
  }
  for (const s of sessions) s.close();
  await engine.close();
  if (peer) {
    peer.child.send({ type: 'close' } satisfies PeerRequest);
    await new Promise((r) => peer.child.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
