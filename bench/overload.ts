/**
 * npm run bench:overload: what the server does when offered twice what it can take.
 *
 *  1. The knee: --knee N, or a quick search on a server without limits: 5 s steps of honest calls
 *     (sipp-scenarios/uac-invite-answer-hangup.xml, BYE matched in its own transaction), doubling from
 *     --start-rate until a step loses a call, then bisecting between the last good and the first bad
 *     rate down to 10 %.
 *  2. For each --modes entry, a fresh server (`callwright start`, a child process):
 *       limit  admission.max_calls_per_second = the knee
 *       auto   admission.auto = true (the limit the server derives from its event-loop delay), no fixed limit
 *       none   no admission settings at all (what happened before there was admission control)
 *     is offered --factor × knee calls/s for --duration-s (bench/overload-uac.xml: answered calls are held
 *     --hold-ms and hung up; a 503 must carry Retry-After and is ACKed), then the load drops and probes of
 *     10 honest calls, one every 500 ms, measure how long until every call goes through again.
 *
 * Prints per mode: goodput (answered calls per second over the overload window) as % of the knee (goal
 * ≥ 90 % with a limit), refused calls answered 503 + Retry-After vs timeouts (goal: no timeouts), INVITE→200
 * percentiles of the answered calls, recovery time after the load drops (goal ≤ 5 s), the system's UDP
 * receive errors (/proc/net/snmp, loopback datagrams the kernel dropped), and the server's call records
 * against what sipp saw. Asserts nothing.
 *
 * Options (also BENCH_OVERLOAD_<NAME>): --knee N, --start-rate (100), --factor (2), --duration-s (30),
 * --hold-ms (200), --modes (limit,auto), --retry-after-s (5), --base-port (49000: SIP 49000, sipp 49002-
 * 49028, API 49031, sipp RTP 49032-49087), --rtp-min/--rtp-max (49100-49499: server RTP, 200 calls up at once).
 * These ports do not overlap bench:soak's, so both can run at once (bench/rss-burst.ts shares the RTP range).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { startSipp, type SippResult } from '../test/helpers/sipp.js';
import { startServerChild, type ServerChild } from './server-child.js';
import { positiveOption } from './options.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OVERLOAD_SCENARIO = path.join(HERE, 'overload-uac.xml');
const HONEST_SCENARIO = 'uac-invite-answer-hangup.xml';
const MODES = ['limit', 'auto', 'none'] as const;
type Mode = (typeof MODES)[number];

const { values: args } = parseArgs({
  options: {
    knee: { type: 'string' },
    'start-rate': { type: 'string' },
    factor: { type: 'string' },
    'duration-s': { type: 'string' },
    'hold-ms': { type: 'string' },
    modes: { type: 'string' },
    'retry-after-s': { type: 'string' },
    'base-port': { type: 'string' },
    'rtp-min': { type: 'string' },
    'rtp-max': { type: 'string' },
  },
});

function raw(name: keyof typeof args): string | undefined {
  return args[name] ?? process.env[`BENCH_OVERLOAD_${name.toUpperCase().replace(/-/g, '_')}`];
}

const option = (name: keyof typeof args, fallback: number): number =>
  positiveOption(args, name, fallback, 'BENCH_OVERLOAD');

function modesOption(): Mode[] {
  const value = raw('modes') ?? 'limit,auto';
  const modes = value.split(',').map((m) => m.trim());
  for (const m of modes) {
    if (!(MODES as readonly string[]).includes(m)) {
      throw new Error(
        `--modes: got ${JSON.stringify(m)}, expected a comma-separated list of ${MODES.join(', ')}`,
      );
    }
  }
  return modes as Mode[];
}

const kneeGiven = raw('knee') === undefined ? undefined : option('knee', 0);
const startRate = option('start-rate', 100);
const factor = option('factor', 2);
const durationS = option('duration-s', 30);
const holdMs = Math.round(option('hold-ms', 200));
const retryAfterS = Math.round(option('retry-after-s', 5));
const modes = modesOption();
const base = Math.round(option('base-port', 49000));
const rtpMin = Math.round(option('rtp-min', 49100));
const rtpMax = Math.round(option('rtp-max', 49499));
const PORTS = {
  sip: base,
  overloadSipp: base + 2,
  kneeSipp: base + 4,
  /** Probes rotate over 12 local ports (base+6 … base+28, even). */
  probeSipp: (i: number) => base + 6 + 2 * (i % 12),
  api: base + 31,
  kneeMedia: base + 32,
  overloadMedia: base + 36,
  /** sipp binds its RTP port and the one 2 above: 4 apart. */
  media: (i: number) => base + 40 + 4 * (i % 12),
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** callwright_admission_refusals_total by reason, from the server's /metrics (why calls were refused). */
async function refusalReasons(server: ServerChild): Promise<string> {
  try {
    const res = await fetch(`${server.apiUrl}/metrics`);
    const text = await res.text();
    const found = [...text.matchAll(/^callwright_admission_refusals_total\{reason="([^"]+)"\} (\S+)$/gm)];
    return found.map((m) => `${m[1]} ${m[2]}`).join(', ') || 'none';
  } catch (err) {
    return `unreadable (${(err as Error).message})`;
  }
}

// ---- the server -----------------------------------------------------------------------------------

async function startServer(mode: Mode | 'search', knee: number): Promise<ServerChild> {
  const admission =
    mode === 'limit'
      ? { max_calls_per_second: knee, auto: false, retry_after_s: retryAfterS }
      : mode === 'auto'
        ? { max_calls_per_second: 0, auto: true, retry_after_s: retryAfterS }
        : undefined;
  const server = await startServerChild({
    apiPort: PORTS.api,
    config: {
      log: { level: 'error' },
      sip: { address: '127.0.0.1', port: PORTS.sip, transports: ['udp'] },
      media: {
        address: '127.0.0.1',
        advertised_address: '127.0.0.1',
        rtp_port_min: rtpMin,
        rtp_port_max: rtpMax,
        timeout_ms: 0,
      },
      speech: { recognizer: 'none' },
      calls: { demo_agent: false, default_agent: 'overload' },
      ...(admission ? { admission } : {}),
    },
  });
  // The least an agent can do: take the call and wait for a key (no prompt to synthesise).
  await server.api('POST', '/agents', {
    name: 'overload',
    kind: 'scripted',
    config: { steps: [{ gather: { input: 'dtmf', max_digits: 1, timeout_ms: 120_000 } }] },
  });
  return server;
}

// ---- sipp -----------------------------------------------------------------------------------------

/** `rate` honest calls per second for `seconds`; true when every call was answered and its BYE answered. */
async function honestStep(
  rate: number,
  seconds: number,
  localPort: number,
  mediaPort: number,
  timeoutS = seconds + 40,
): Promise<SippResult> {
  return startSipp({
    scenario: HONEST_SCENARIO,
    remote: `127.0.0.1:${PORTS.sip}`,
    service: '1000',
    localPort,
    mediaPort,
    calls: Math.max(1, Math.round(rate * seconds)),
    rate,
    limit: 20_000,
    extraArgs: ['-d', String(holdMs), '-rate_increase', '0'],
    timeoutMs: timeoutS * 1000,
  }).done;
}

function failedCalls(result: SippResult): string {
  return /Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(result.stdout)?.[1] ?? '?';
}

/** Waits until 10 calls at 20/s all go through (a server still behind from the last step fails them). */
async function waitHealthy(maxS: number): Promise<boolean> {
  const until = Date.now() + maxS * 1000;
  for (let i = 0; Date.now() < until; i++) {
    const r = await honestStep(20, 0.5, PORTS.probeSipp(i), PORTS.media(i), 8);
    if (r.code === 0) return true;
    await sleep(1000);
  }
  return false;
}

async function findKnee(): Promise<number> {
  console.log(
    `\n== knee: 5 s steps of ${holdMs} ms calls on a server without admission limits; load ${load()} ==`,
  );
  const server = await startServer('search', 0);
  try {
    const tried = new Map<number, boolean>();
    const step = async (rate: number): Promise<boolean> => {
      await waitHealthy(60);
      const started = Date.now();
      let r = await honestStep(rate, 5, PORTS.kneeSipp, PORTS.kneeMedia);
      // 254: sipp could not start (a port still held a moment after the last run): once more.
      if (r.code === 254) {
        await sleep(2000);
        r = await honestStep(rate, 5, PORTS.kneeSipp, PORTS.kneeMedia);
      }
      const ok = r.code === 0;
      console.log(
        `${String(rate).padStart(6)} calls/s: ${ok ? 'all calls went through' : `lost calls (failed ${failedCalls(r)}, sipp exit ${r.code})`} ` +
          `in ${((Date.now() - started) / 1000).toFixed(1)} s; load ${load()}`,
      );
      tried.set(rate, ok);
      return ok;
    };
    let good = 0;
    let bad = 0;
    for (let rate = startRate; rate <= 12_800; rate *= 2) {
      if (await step(rate)) good = rate;
      else {
        bad = rate;
        break;
      }
    }
    if (!bad) return good;
    while (bad - good > Math.max(10, good * 0.1)) {
      const mid = Math.round((good + bad) / 2);
      if (await step(mid)) good = mid;
      else bad = mid;
    }
    console.log(`knee: ${good} calls/s (first losing rate ${bad})`);
    return good;
  } finally {
    await server.stop();
  }
}

// ---- measurements ---------------------------------------------------------------------------------

/** UDP counters of the whole system (loopback included): datagrams the kernel dropped for full buffers. */
function udpErrors(): { inErrors: number; rcvbufErrors: number } {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/).map(Number) ?? [];
  const get = (name: string): number => values[names.indexOf(name)] ?? 0;
  return { inErrors: get('InErrors'), rcvbufErrors: get('RcvbufErrors') };
}

/** The last row of sipp's -trace_stat CSV, by column name. */
function lastStats(file: string): Record<string, string> {
  const rows = readFileSync(file, 'utf8').trim().split('\n');
  const header = rows[0]?.split(';') ?? [];
  const last = rows.at(-1)?.split(';') ?? [];
  return Object.fromEntries(header.map((h, i) => [h, last[i] ?? '']));
}

function statsRows(file: string): Array<Record<string, string>> {
  const rows = readFileSync(file, 'utf8').trim().split('\n');
  const header = rows[0]?.split(';') ?? [];
  return rows.slice(1).map((r) => {
    const cells = r.split(';');
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
  });
}

/** sipp's -trace_counts file: per scenario message (`<index>_<message>_<what>`), cumulative, one row a period. */
function countRows(dir: string): Array<Record<string, number>> {
  const file = readdirSync(dir).find((n) => n.endsWith('_counts.csv'));
  if (!file) return [];
  const rows = readFileSync(path.join(dir, file), 'utf8').trim().split('\n');
  const header = rows[0]?.split(';') ?? [];
  return rows.slice(1).map((r) => {
    const cells = r.split(';');
    return Object.fromEntries(header.map((h, i) => [h, Number(cells[i])]));
  });
}

/** The count of the first column whose name matches (the scenario's message indexes are fixed). */
function count(row: Record<string, number> | undefined, column: RegExp): number {
  if (!row) return 0;
  const key = Object.keys(row).find((k) => column.test(k));
  return key ? row[key] || 0 : 0;
}

/** INVITE→200 times (ms) of the answered calls, from sipp's -trace_rtt file(s) in `dir`. */
function responseTimes(dir: string): number[] {
  const out: number[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('_rtt.csv'))) {
    for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n').slice(1)) {
      const cells = line.split(';');
      // Date_ms;response_time_ms;rtd_no
      const ms = Number(cells[1]);
      if (cells.length >= 3 && Number.isFinite(ms)) out.push(ms);
    }
  }
  return out.sort((a, b) => a - b);
}

function pct(sorted: number[], p: number): string {
  if (!sorted.length) return 'n/a';
  return `${sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(0)} ms`;
}

interface StoreView {
  rows: number;
  answered: number;
  notEnded: number;
  byEndReason: string;
}

function storeView(server: ServerChild): StoreView {
  const db = new Database(path.join(server.dir, 'data', 'callwright.db'), {
    readonly: true,
    fileMustExist: true,
  });
  try {
    const totals = db
      .prepare(
        `SELECT count(*) AS rows, sum(answered_at IS NOT NULL) AS answered, sum(ended_at IS NULL) AS notEnded FROM calls`,
      )
      .get() as { rows: number; answered: number | null; notEnded: number | null };
    const reasons = db
      .prepare(`SELECT coalesce(end_reason, '-') AS r, count(*) AS n FROM calls GROUP BY 1 ORDER BY 2 DESC`)
      .all() as Array<{ r: string; n: number }>;
    return {
      rows: totals.rows,
      answered: totals.answered ?? 0,
      notEnded: totals.notEnded ?? 0,
      byEndReason: reasons.map((x) => `${x.r} ${x.n}`).join(', '),
    };
  } finally {
    db.close();
  }
}

// ---- one overload run ------------------------------------------------------------------------------

async function overload(mode: Mode, knee: number): Promise<void> {
  const offered = Math.round(knee * factor);
  const described = {
    limit: `admission.max_calls_per_second ${knee}`,
    auto: 'admission.auto (no fixed limit)',
    none: 'no admission settings',
  }[mode];
  console.log(`\n== ${mode}: ${described}; ${offered} calls/s offered for ${durationS} s; load ${load()} ==`);
  const server = await startServer(mode, knee);
  const work = mkdtempSync(path.join(tmpdir(), 'callwright-overload-'));
  try {
    await waitHealthy(30);
    const udpBefore = udpErrors();
    const statFile = path.join(work, 'stats.csv');
    const sipp = startSipp({
      scenario: OVERLOAD_SCENARIO,
      cwd: work,
      remote: `127.0.0.1:${PORTS.sip}`,
      service: '1000',
      localPort: PORTS.overloadSipp,
      mediaPort: PORTS.overloadMedia,
      calls: offered * durationS,
      rate: offered,
      limit: 50_000,
      extraArgs: [
        ...['-d', String(holdMs), '-rate_increase', '0'],
        ...['-trace_stat', '-stf', statFile, '-fd', '1'],
        ...['-trace_rtt', '-rtt_freq', '1', '-trace_counts'],
      ],
      timeoutMs: (durationS + 90) * 1000,
    });
    // The load drops when sipp has started its last call; from then on, probes of honest calls.
    await Promise.race([sleep(durationS * 1000), sipp.done]);
    const dropped = Date.now();
    const probes: Array<{ at: number; ok?: boolean }> = [];
    const running: Array<Promise<void>> = [];
    for (let i = 0; i < 120; i++) {
      const probe: { at: number; ok?: boolean } = { at: Date.now() - dropped };
      probes.push(probe);
      running.push(
        honestStep(20, 0.5, PORTS.probeSipp(i), PORTS.media(i), 8).then((r) => {
          probe.ok = r.code === 0;
        }),
      );
      await sleep(500);
      // Stop after 6 probes in a row went through, counting only probes all earlier ones have finished before.
      const firstPending = probes.findIndex((p) => p.ok === undefined);
      const finished = firstPending < 0 ? probes : probes.slice(0, firstPending);
      if (finished.length >= 6 && finished.slice(-6).every((p) => p.ok)) break;
    }
    await Promise.all(running);
    const result = await sipp.done;
    const udpAfter = udpErrors();
    // Recovered from the first probe after which every probe went through.
    let recoveredAt: number | undefined;
    for (let i = probes.length - 1; i >= 0 && probes[i]!.ok; i--) recoveredAt = probes[i]!.at;

    const s = lastStats(statFile);
    const n = (k: string): number => Number(s[k] ?? 0) || 0;
    const counts = countRows(work);
    const final = counts.at(-1);
    // bench/overload-uac.xml: message 3 is the 503, message 8 the BYE's 200.
    const answered = count(final, /^8_200_Recv$/);
    const timeouts = n('FailedMaxUDPRetrans(C)') + n('FailedTimeoutOnRecv(C)');
    const noRetryAfter = n('FailedRegexpDoesntMatch(C)') + n('FailedRegexpHdrNotFound(C)');
    // Every 503 is counted at message 3; those without Retry-After then fail the call.
    const refused = count(final, /^3_503_Recv$/) - noRetryAfter;
    const other = n('FailedCall(C)') - timeouts - noRetryAfter;
    const created = n('TotalCallCreated');
    const goodput = answered / durationS;
    const times = responseTimes(work);
    console.log(
      `calls offered ${created}: answered and hung up ${answered}, refused 503 + Retry-After ${refused}, ` +
        `timeouts ${timeouts}, 503 without Retry-After ${noRetryAfter}, other failures ${other} (sipp exit ${result.code})`,
    );
    console.log(
      `goodput ${goodput.toFixed(0)} calls/s = ${((100 * goodput) / knee).toFixed(0)} % of the knee (goal >= 90 % with a limit); ` +
        `refused/timeouts ${refused}/${timeouts} (goal: no timeouts)`,
    );
    console.log(
      `INVITE -> 200 of answered calls: p50 ${pct(times, 50)}, p90 ${pct(times, 90)}, p99 ${pct(times, 99)}, ` +
        `max ${pct(times, 100)} (${times.length} calls)`,
    );
    console.log(
      `recovery after the load dropped: ${recoveredAt === undefined ? 'NOT recovered within the probe window' : `${(recoveredAt / 1000).toFixed(1)} s`} ` +
        `(goal <= 5 s; probes ${probes.map((p) => `${(p.at / 1000).toFixed(1)}s:${p.ok ? 'ok' : 'lost'}`).join(' ')})`,
    );
    console.log(
      `UDP receive errors during the run (whole system): ${udpAfter.rcvbufErrors - udpBefore.rcvbufErrors} buffer full, ` +
        `${udpAfter.inErrors - udpBefore.inErrors} in errors; load ${load()}`,
    );
    const failedRows = statsRows(statFile);
    const timeline: string[] = [];
    for (let i = 4; i < counts.length; i += 5) {
      const now = counts[i];
      const then = counts[i - 5];
      const delta = (c: RegExp): number => count(now, c) - count(then, c);
      const failed = failedRows
        .slice(i - 4, i + 1)
        .reduce((a, r) => a + (Number(r['FailedCall(P)']) || 0), 0);
      timeline.push(
        `${i + 1}s: answered ${delta(/^8_200_Recv$/)}, 503 ${delta(/^3_503_Recv$/)}, failed ${failed} (503s without Retry-After included), ` +
          `INVITE retrans ${delta(/^0_INVITE_Retrans$/)}`,
      );
    }
    console.log(`per 5 s: ${timeline.join(' | ')}`);
    // Every call the server answered and sipp hung up must be closed in the store; refused calls leave no row.
    // The server may still be catching up: read the store until no call is open or nothing changes for 6 s.
    const sippDone = Date.now();
    let store = storeView(server);
    for (let unchanged = 0; store.notEnded > 0 && unchanged < 3 && Date.now() - sippDone < 60_000;) {
      await sleep(2000);
      const next = storeView(server);
      unchanged = next.notEnded === store.notEnded && next.rows === store.rows ? unchanged + 1 : 0;
      store = next;
    }
    console.log(
      `store ${((Date.now() - sippDone) / 1000).toFixed(0)} s after sipp ended: ${store.rows} call rows, ${store.answered} answered, ` +
        `${store.notEnded} not ended; end reasons: ${store.byEndReason} (sipp: ${answered} answered and hung up, plus the probes' calls)`,
    );
    console.log(`server's admission refusals by reason: ${await refusalReasons(server)}`);
  } finally {
    await server.stop();
    if (process.env.BENCH_OVERLOAD_KEEP) console.log(`sipp files kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`overload bench; load ${load()}`);
  const knee = kneeGiven ?? (await findKnee());
  for (const mode of modes) await overload(mode, knee);
}

await main();
