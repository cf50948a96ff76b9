/**
 * npm run bench:sip — how far the embedded backend goes on this machine, with sipp on the same box.
 *
 *  1. Calls per second: ramps sipp (1-second calls, 5 s per step) until a step has a failed call;
 *     prints the highest rate with zero failures.
 *  2. Concurrent media calls: holds N calls where sipp streams PCMU (50 packets/s) and the server plays
 *     a tone back (50 packets/s), for several N; prints frame lateness p50/p99 of the shared media clock
 *     and memory per call (RSS growth / N).
 *
 * Prints numbers; asserts nothing. Env: BENCH_CPS_STEPS="100,200,…", BENCH_MEDIA_CALLS="100,250,500",
 * BENCH_HOLD_S=10, BENCH_RTP_MIN/MAX (default 20000-24899: do not run beside the telephony e2e tests).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EmbeddedTelephony } from '../src/telephony/embedded/embedded-telephony.js';
import { configWith, startEmbeddedBackend, type EmbeddedBackend } from '../test/helpers/embedded-backend.js';
import { SCENARIOS, startSipp } from '../test/helpers/sipp.js';

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const list = (s: string): number[] =>
  s
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
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

async function cpsRamp(): Promise<void> {
  const b = await startBackend();
  b.telephony.onInbound(async (call) => {
    const leg = await call.answer();
    await leg.ended;
  });
  let best = 0;
  console.log('\n== calls per second (1 s calls, 5 s per step) ==');
  for (const rate of list(env('BENCH_CPS_STEPS', '100,200,300,400,500,600,700,800,1000'))) {
    const calls = rate * 5;
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
    const failed = /Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(result.stdout)?.[1];
    const ok = result.code === 0;
    console.log(
      `${String(rate).padStart(5)} cps: ${ok ? 'all ' + calls + ' calls succeeded' : `FAILED (sipp exit ${result.code}, failed calls ${failed ?? '?'})`} in ${((Date.now() - started) / 1000).toFixed(1)} s; server stats ${JSON.stringify(b.telephony.stats())}`,
    );
    await drain(b.telephony);
    if (!ok) break;
    best = rate;
    await sleep(1000);
  }
  console.log(`highest zero-failure rate: ${best} calls/s (target >= 500)`);
  await b.stop();
}

/** 1 s of PCMU (a 400 Hz tone) for sipp's rtp_stream, which streams the raw payload in a loop. */
function ulawTone(file: string): void {
  const out = Buffer.alloc(8000);
  for (let i = 0; i < out.length; i++) {
    const x = Math.round(6000 * Math.sin((2 * Math.PI * 400 * i) / 8000));
    const sign = x < 0 ? 0x80 : 0;
    let m = Math.min(Math.abs(x), 32635) + 132;
    let exp = 7;
    for (let mask = 0x4000; (m & mask) === 0 && exp > 0; mask >>= 1) exp--;
    const mant = (m >> (exp + 3)) & 0x0f;
    m = ~(sign | (exp << 4) | mant) & 0xff;
    out[i] = m;
  }
  writeFileSync(file, out);
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
    global.gc?.();
    await sleep(500);
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
    const rssDuring = process.memoryUsage().rss;
    const result = await sipp.done;
    console.log(
      `${String(n).padStart(5)} calls: held ${held}, frames ${m.frames}, lateness p50 ${m.latenessP50Ms.toFixed(2)} ms, ` +
        `p99 ${m.latenessP99Ms.toFixed(2)} ms, max ${m.latenessMaxMs.toFixed(2)} ms, ` +
        `memory ${((rssDuring - rssBefore) / 1048576 / Math.max(held, 1)).toFixed(3)} MB/call, sipp exit ${result.code}`,
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
