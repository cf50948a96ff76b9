/**
 * npm run bench:soak -- --minutes N: does the server's memory stay flat under steady calls?
 *
 * The real server (`callwright start`, a child process: bench/server-child.ts) answers every call with
 * a scripted agent that speaks a prompt (espeak-ng, cached after the first call) and waits for a key;
 * the caller (sipp, uac-invite-answer-hangup.xml with a PCMU tone streamed all call long) hangs up
 * after --hold-s, and each ended call's after-call webhook action posts the call to a loopback
 * receiver. Every minute it prints the server's RSS, heap used (as found and after a forced
 * collection), external and array buffers, active handles/resources by type, calls stored, webhooks
 * received and the load average; at the end the growth after the warm-up minute (per 1,000 calls),
 * and what the server settles at once the load stops.
 *
 * Options (also BENCH_SOAK_<NAME>, e.g. BENCH_SOAK_RATE=5):
 *   --minutes N (10)      how long the calls go on
 *   --rate R (2)          new calls per second
 *   --concurrency C (50)  most calls up at once (sipp -l)
 *   --hold-s S (8)        call length (the caller's BYE after the answer)
 *   --base-port P (48600) SIP 48600, sipp 48602 (RTP 48604-48607), webhook receiver 48610, API 48611,
 *                         server RTP 48700-48999 (150 calls; a larger --concurrency needs --rtp-max)
 *   --rtp-min / --rtp-max server RTP port range
 * The server inherits the environment, so CALLWRIGHT_* overrides apply to it (e.g.
 * CALLWRIGHT_DATA_SQLITE_CACHE_MB=2 to see how much of the RSS growth is SQLite's page cache filling,
 * CALLWRIGHT_MEDIA_WORKERS=2 for media on worker threads).
 * Prints numbers; asserts nothing.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SCENARIOS, startSipp } from '../test/helpers/sipp.js';
import { positiveOption } from './options.js';
import { MB, mb, startServerChild, ulawTone, webhookReceiver, type ProbeReply } from './server-child.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string' },
    rate: { type: 'string' },
    concurrency: { type: 'string' },
    'hold-s': { type: 'string' },
    'base-port': { type: 'string' },
    'rtp-min': { type: 'string' },
    'rtp-max': { type: 'string' },
  },
});

const option = (name: keyof typeof args, fallback: number): number =>
  positiveOption(args, name, fallback, 'BENCH_SOAK');

const minutes = option('minutes', 10);
const rate = option('rate', 2);
const concurrency = Math.round(option('concurrency', 50));
const holdS = option('hold-s', 8);
const base = Math.round(option('base-port', 48600));
const rtpMin = Math.round(option('rtp-min', base + 100));
const rtpMax = Math.round(option('rtp-max', base + 399));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** uac-invite-answer-hangup.xml offering PCMU only and streaming a tone from the answer to the BYE. */
function mediaScenario(dir: string): string {
  const source = readFileSync(path.join(SCENARIOS, 'uac-invite-answer-hangup.xml'), 'utf8');
  const scenario = source
    .replace('RTP/AVP 8 0 101', 'RTP/AVP 0 101')
    .replace('      a=rtpmap:8 PCMA/8000\n', '')
    .replace('  <pause/>', '  <nop><action><exec rtp_stream="tone.ulaw,-1,0"/></action></nop>\n  <pause/>');
  if (!scenario.includes('rtp_stream')) throw new Error('uac-invite-answer-hangup.xml changed shape');
  const file = path.join(dir, 'uac-soak.xml');
  writeFileSync(file, scenario);
  return file;
}

/** callwright.db and its -wal under the server's data dir (bench/server-child.ts puts it there). */
function databaseBytes(dir: string): number {
  let total = 0;
  for (const name of ['callwright.db', 'callwright.db-wal']) {
    try {
      total += statSync(path.join(dir, 'data', name)).size;
    } catch {
      // not there yet
    }
  }
  return total;
}

function resourcesTotal(r: Record<string, number>): number {
  return Object.values(r).reduce((a, b) => a + b, 0);
}

function resourcesText(r: Record<string, number>): string {
  return Object.entries(r)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

interface Sample {
  minute: number;
  calls: number;
  webhooks: number;
  /** The SQLite file and its WAL, bytes: the page cache (data.sqlite_cache_mb) fills as they grow. */
  dbBytes: number;
  probe: ProbeReply;
}

function line(s: Sample, previousCalls: number): string {
  const { before, after, resources } = s.probe;
  return (
    `min ${String(s.minute).padStart(3)}: calls ${s.calls} (+${s.calls - previousCalls}), webhooks ${s.webhooks}; ` +
    `rss ${mb(before.rss)} MB, db ${mb(s.dbBytes)} MB, heap used ${mb(before.heapUsed)} MB (after gc ${mb(after.heapUsed)}, ` +
    `heap total ${mb(after.heapTotal)}), external ${mb(after.external)} MB (array buffers ${mb(after.arrayBuffers)}); ` +
    `resources ${resourcesTotal(resources)} {${resourcesText(resources)}}; load ${load()}`
  );
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'callwright-soak-'));
  ulawTone(path.join(work, 'tone.ulaw'));
  const scenario = mediaScenario(work);
  const receiver = await webhookReceiver(base + 10);
  const server = await startServerChild({
    apiPort: base + 11,
    config: {
      log: { level: 'warn' },
      sip: { address: '127.0.0.1', port: base, transports: ['udp'] },
      media: {
        address: '127.0.0.1',
        advertised_address: '127.0.0.1',
        rtp_port_min: rtpMin,
        rtp_port_max: rtpMax,
        timeout_ms: 30_000,
      },
      speech: { recognizer: 'none' },
      calls: { demo_agent: false, default_agent: 'soak' },
      http: { allow_hosts: ['127.0.0.1'] },
    },
  });
  const stopAll = async (): Promise<void> => {
    await server.stop();
    await receiver.close();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    // Set up as a user would, through the admin API.
    const agent = await server.api<{ id: string }>('POST', '/agents', {
      name: 'soak',
      kind: 'scripted',
      config: {
        steps: [
          { say: 'Hello, and welcome. This call is part of a soak test.' },
          { gather: { input: 'dtmf', max_digits: 1, timeout_ms: 120_000, into: 'choice' } },
          { hangup: { say: 'Goodbye.' } },
        ],
      },
    });
    await server.api('POST', '/actions', {
      name: 'soak_webhook',
      type: 'webhook',
      config: { url: receiver.url, event: 'call.ended' },
    });
    await server.api('POST', `/agents/${agent.id}/actions`, { action_id: 'soak_webhook', stage: 'after' });

    console.log(
      `soak: ${minutes} min, ${rate} calls/s, up to ${concurrency} at once, ${holdS} s calls with PCMU both ways, ` +
        `after-call webhook; server pid ${server.pid}; load ${load()}`,
    );
    const settledStart = await server.probe(true);
    console.log(
      `start (idle, after gc): rss ${mb(settledStart.after.rss)} MB, heap used ${mb(settledStart.after.heapUsed)} MB, ` +
        `external ${mb(settledStart.after.external)} MB, resources ${resourcesTotal(settledStart.resources)}`,
    );

    const total = Math.ceil(rate * minutes * 60);
    const sipp = startSipp({
      scenario,
      cwd: work,
      remote: `127.0.0.1:${base}`,
      service: '1000',
      localPort: base + 2,
      mediaPort: base + 4,
      calls: total,
      rate,
      limit: concurrency,
      extraArgs: ['-d', String(Math.round(holdS * 1000))],
      timeoutMs: (minutes * 60 + holdS + 120) * 1000,
    });
    let interrupted = false;
    const onSigint = (): void => {
      interrupted = true;
      sipp.kill();
    };
    process.once('SIGINT', onSigint);

    const samples: Sample[] = [];
    const callsTotal = async (): Promise<number> =>
      (await server.api<{ total: number }>('GET', '/calls?limit=1')).total;
    const started = Date.now();
    for (let minute = 1; minute <= minutes && !interrupted; minute++) {
      const wait = started + minute * 60_000 - Date.now();
      await Promise.race([sleep(wait), sipp.done]);
      if (interrupted) break;
      const sample: Sample = {
        minute,
        calls: await callsTotal(),
        webhooks: receiver.count(),
        dbBytes: databaseBytes(server.dir),
        probe: await server.probe(true),
      };
      console.log(line(sample, samples.at(-1)?.calls ?? 0));
      samples.push(sample);
    }
    const result = await sipp.done;
    process.off('SIGINT', onSigint);
    const sippOk = /Successful call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(result.stdout)?.[1] ?? '?';
    const sippFailed = /Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(result.stdout)?.[1] ?? '?';

    // After-call work drains through the outbox: wait for the webhooks of the calls the store holds.
    const stored = await callsTotal();
    for (let i = 0; i < 60 && receiver.callIds.size < stored; i++) await sleep(500);
    await sleep(15_000);
    const settled = await server.probe(true);

    console.log(
      `\ncalls: sipp ${sippOk} successful, ${sippFailed} failed (exit ${result.code}); server stored ${stored}; ` +
        `webhooks received ${receiver.count()} for ${receiver.callIds.size} calls`,
    );
    const first = samples[0];
    const last = samples.at(-1);
    if (first && last && last !== first) {
      const calls = last.calls - first.calls;
      const per1000 = (d: number): string =>
        calls > 0 ? `${((d / MB) * (1000 / calls)).toFixed(2)} MB` : 'n/a';
      const grow = (f: (p: ProbeReply) => number): string => {
        const d = f(last.probe) - f(first.probe);
        return `${d >= 0 ? '+' : ''}${(d / MB).toFixed(1)} MB (${per1000(d)} per 1,000 calls)`;
      };
      console.log(
        `growth from the end of minute 1 to minute ${last.minute} (${calls} calls): ` +
          `rss ${grow((p) => p.before.rss)}, heap used after gc ${grow((p) => p.after.heapUsed)}, ` +
          `external ${grow((p) => p.after.external)}, array buffers ${grow((p) => p.after.arrayBuffers)}, ` +
          `resources ${resourcesTotal(first.probe.resources)} -> ${resourcesTotal(last.probe.resources)}; ` +
          `database ${mb(first.dbBytes)} -> ${mb(last.dbBytes)} MB (SQLite's page cache, data.sqlite_cache_mb, ` +
          `fills as it grows and is part of the rss)`,
      );
    } else {
      console.log('growth: needs at least 2 minutes of samples');
    }
    console.log(
      `settled 15 s after the last call (after gc): rss ${mb(settled.after.rss)} MB, heap used ${mb(settled.after.heapUsed)} MB, ` +
        `external ${mb(settled.after.external)} MB, resources ${resourcesTotal(settled.resources)} {${resourcesText(settled.resources)}}; ` +
        `load ${load()}`,
    );
    if (result.code !== 0 && !interrupted) console.log(`sipp errors (tail):\n${result.errors.slice(-1500)}`);
  } catch (err) {
    console.error(`soak failed: ${(err as Error).message}\n${server.stderrTail()}`);
    process.exitCode = 1;
  } finally {
    await stopAll();
  }
}

await main();
