/**
 * npm run bench:sip — how far the embedded backend goes on this machine, with sipp on the same box.
 *
 *  1. Calls per second: ramps sipp (1-second calls, BENCH_STEP_S = 5 s per step) until a step has a
 *     failed call, then bisects between the last good and the first bad rate (to 5 %, at least 10
 *     calls/s): the knee. A call counts only when its BYE got its own 200 (the scenario matches the BYE's
 *     transaction). Each step also prints the server's own call records (answered, hung up by the caller,
 *     ended otherwise, still up when sipp exited) beside what sipp saw.
 *  2. Concurrent media calls: holds N calls where sipp streams PCMU (50 packets/s) and the server plays
 *     a tone back (50 packets/s), for several N; prints frame lateness p50/p99 of the shared media clock
 *     and memory per call: live memory (heap used + external after forced collections) during the hold
 *     minus a settled baseline taken the same way, over the calls held.
 *
 * Prints numbers; asserts nothing. Env: BENCH_CPS_STEPS="100,200,…" (the ladder), BENCH_MEDIA_CALLS="100,250,500",
 * BENCH_HOLD_S=10, BENCH_RTP_MIN/MAX (default 20000-24899: do not run beside the telephony e2e tests).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { EmbeddedTelephony } from '../src/telephony/embedded/embedded-telephony.js';
import { configWith, startEmbeddedBackend, type EmbeddedBackend } from '../test/helpers/embedded-backend.js';
import { SCENARIOS, startSipp } from '../test/helpers/sipp.js';
import { ulawTone } from './server-child.js';

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const list = (s: string): number[] =>
  s
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const SIPP_PORT = 24950;

async function startBackend(): Promise<EmbeddedBackend> {
  const config = configWith({
    log: { level: 'fatal' },
    sip: { port: 0, address: '127.0.0.1', transports: ['udp'] },
    media: {
      address: '127.0.0.1',
      advertised_address: '127.0.0.1',
      rtp_port_min: Number(env('BENCH_RTP_MIN', '20000')),
      rtp_port_max: Number(env('BENCH_RTP_MAX', '24899')),
      timeout_ms: 0,
    },
  });
  return startEmbeddedBackend(config);
}

async function drain(telephony: EmbeddedTelephony): Promise<void> {
  for (let i = 0; i < 200 && telephony.stats().activeCalls > 0; i++) await sleep(100);
}

/** What the server's own call records say about the calls of one step (the peer's view is sipp's). */
interface ServerTally {
  answered: number;
  endedByCaller: number;
  endedOtherwise: Map<string, number>;
}

function tallied(t: ServerTally): string {
  const other = [...t.endedOtherwise].map(([k, v]) => `${k} ${v}`).join(', ');
  return `${t.answered} answered, ${t.endedByCaller} hung up by the caller${other ? `, ended otherwise: ${other}` : ''}`;
}

async function cpsRamp(): Promise<void> {
  const b = await startBackend();
  let tally: ServerTally = { answered: 0, endedByCaller: 0, endedOtherwise: new Map() };
  b.telephony.onInbound(async (call) => {
    let leg;
    try {
      leg = await call.answer();
    } catch (err) {
      const key = `answer failed: ${(err as Error).message}`;
      tally.endedOtherwise.set(key, (tally.endedOtherwise.get(key) ?? 0) + 1);
      return;
    }
    tally.answered++;
    const end = await leg.ended;
    if (end.by === 'remote' && end.cause === 'normal') tally.endedByCaller++;
    else {
      const key = `${end.by} ${end.cause}${end.status ? ` ${end.status}` : ''}`;
      tally.endedOtherwise.set(key, (tally.endedOtherwise.get(key) ?? 0) + 1);
    }
  });
  const stepS = Number(env('BENCH_STEP_S', '5'));
  console.log(`\n== calls per second (1 s calls, ${stepS} s per step; load ${load()}) ==`);
  /** One step: true when sipp saw every call answered and its BYE answered in the BYE's own transaction. */
  const step = async (rate: number): Promise<boolean> => {
    tally = { answered: 0, endedByCaller: 0, endedOtherwise: new Map() };
    const calls = rate * stepS;
    const started = Date.now();
    const sipp = startSipp({
      scenario: 'uac-invite-answer-hangup.xml',
      remote: `127.0.0.1:${b.telephony.port}`,
      service: '1000',
      localPort: SIPP_PORT,
      mediaPort: SIPP_PORT + 2,
      calls,
      rate,
      limit: rate * 4,
      extraArgs: ['-d', '1000', '-rate_increase', '0'],
      timeoutMs: 60_000,
    });
    const result = await sipp.done;
    const upAtSippExit = b.telephony.stats().activeCalls;
    const ok = result.code === 0;
    const succeeded = /Successful call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(result.stdout)?.[1] ?? '?';
    const failed = /Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(result.stdout)?.[1] ?? '?';
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    await drain(b.telephony);
    // Under overload the two views used to disagree: calls sipp counted as successful were still up here.
    console.log(
      `${String(rate).padStart(5)} cps: ${ok ? `all ${calls} calls succeeded` : `FAILED (sipp exit ${result.code})`} in ${seconds} s; ` +
        `peer: ${succeeded} successful, ${failed} failed; server: ${tallied(tally)}, ${upAtSippExit} still up when sipp exited; ` +
        `load ${load()}`,
    );
    await sleep(1000);
    return ok;
  };
  // Up the ladder until a step loses a call, then bisect between the last good and the first bad rate.
  let good = 0;
  let bad = 0;
  for (const rate of list(env('BENCH_CPS_STEPS', '100,200,400,800,1200,1600,2400'))) {
    if (await step(rate)) good = rate;
    else {
      bad = rate;
      break;
    }
  }
  const resolution = (g: number): number => Math.max(10, Math.round(g * 0.05));
  while (bad && bad - good > resolution(good)) {
    const mid = Math.round((good + bad) / 2);
    if (await step(mid)) good = mid;
    else bad = mid;
  }
  console.log(
    bad
      ? `knee: ${good} calls/s with zero failures; ${bad} calls/s lost calls (bisected to ${resolution(good)} calls/s; target >= 500)`
      : `no step lost a call: the knee is above ${good} calls/s (extend BENCH_CPS_STEPS)`,
  );
  await b.stop();
}

function mediaScenario(dir: string): string {
  const base = readFileSync(path.join(SCENARIOS, 'uac-invite-answer-hangup.xml'), 'utf8');
  const file = path.join(dir, 'uac-invite-rtp-stream.xml');
  writeFileSync(
    file,
    base
      .replace('RTP/AVP 8 0 101', 'RTP/AVP 0 101')
      .replace('      a=rtpmap:8 PCMA/8000\n', '')
      .replace('  <pause/>', '  <nop><action><exec rtp_stream="tone.ulaw,-1,0"/></action></nop>\n  <pause/>'),
  );
  return file;
}

/**
 * Memory the process holds live: the V8 heap in use plus memory outside it (external, which includes
 * array buffers such as RTP packets), after full collections. RSS is not used per call: it includes
 * freed memory the allocator keeps and heap the GC has not returned, so its growth can even be negative.
 */
async function liveBytes(): Promise<number> {
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc (npm run bench:sip does)');
  // Two collections: objects with weak callbacks or finalizers go in the second.
  global.gc();
  await sleep(20);
  global.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** The live memory once it stopped moving (timers of the previous round firing, lazy caches filling). */
async function settledBaseline(): Promise<number> {
  let last = await liveBytes();
  for (let i = 0; i < 20; i++) {
    await sleep(500);
    const now = await liveBytes();
    if (Math.abs(now - last) < 256 * 1024) return now;
    last = now;
  }
  return last;
}

async function mediaCalls(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sip-bench-'));
  ulawTone(path.join(dir, 'tone.ulaw'));
  const scenario = mediaScenario(dir);
  const holdS = Number(env('BENCH_HOLD_S', '10'));
  console.log(`\n== concurrent calls with media both ways (50 pps each way), held ${holdS} s ==`);
  for (const n of list(env('BENCH_MEDIA_CALLS', '100,250,500'))) {
    const b = await startBackend();
    b.telephony.onInbound(async (call) => {
      const leg = await call.answer();
      void leg
        .play({ kind: 'tone', frequencies: [1000], durationMs: 600_000 }, { loop: true })
        .catch(() => undefined);
      await leg.ended;
    });
    const liveBefore = await settledBaseline();
    const rssBefore = process.memoryUsage().rss;
    const rampS = Math.ceil(n / 100);
    const sipp = startSipp({
      scenario,
      cwd: dir,
      remote: `127.0.0.1:${b.telephony.port}`,
      service: '1000',
      localPort: SIPP_PORT,
      mediaPort: SIPP_PORT + 2,
      calls: n,
      rate: 100,
      limit: n,
      extraArgs: ['-d', String((holdS + rampS + 2) * 1000)],
      timeoutMs: (holdS + rampS + 30) * 1000,
    });
    await sleep((rampS + 1) * 1000);
    await b.media.resetStats();
    const held = b.telephony.stats().activeCalls;
    await sleep(holdS * 1000);
    const m = await b.media.detail();
    const liveDuring = await liveBytes();
    const rssDuring = process.memoryUsage().rss;
    const result = await sipp.done;
    console.log(
      `${String(n).padStart(5)} calls: held ${held}, frames ${m.frames}, lateness p50 ${m.latenessP50Ms.toFixed(2)} ms, ` +
        `p99 ${m.latenessP99Ms.toFixed(2)} ms, max ${m.latenessMaxMs.toFixed(2)} ms, ` +
        `memory ${((liveDuring - liveBefore) / 1048576 / Math.max(held, 1)).toFixed(3)} MB/call live (heap + external after gc, ` +
        `${(liveBefore / 1048576).toFixed(1)} -> ${(liveDuring / 1048576).toFixed(1)} MB), ` +
        `rss ${(rssBefore / 1048576).toFixed(0)} -> ${(rssDuring / 1048576).toFixed(0)} MB, sipp exit ${result.code}; load ${load()}`,
    );
    await drain(b.telephony);
    await b.stop();
    await sleep(1000);
  }
  rmSync(dir, { recursive: true, force: true });
  console.log('targets: >= 500 concurrent calls, p99 lateness < 5 ms, < 0.5 MB per call');
}

const only = process.argv[2];
if (only !== 'media') await cpsRamp();
if (only !== 'cps') await mediaCalls();
