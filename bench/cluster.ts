/**
 * npm run bench:cluster: what a second node and a Kamailio in front change on this machine.
 *
 * For each setup (--setups, default all three):
 *   direct       one node, sipp calls it directly
 *   kamailio     one node behind Kamailio (docker/kamailio/kamailio.cfg, as the cluster e2e runs it)
 *   kamailio-2   two nodes behind the same Kamailio (round robin, OPTIONS probes every second)
 * every node is a real `callwright start` child process (bench/server-child.ts) with its own data dir,
 * SIP, API and RTP ports, the least agent (answers, waits for a key) and an after-call webhook to one
 * loopback receiver. The store (--store): `sqlite`, each node its own file, each node set up through its
 * own API; `postgres`, the nodes share one throwaway PostgreSQL server (bench/cluster-store.ts), a fresh
 * database per setup, set up once through the first node's API; `both`, SQLite then PostgreSQL, then a
 * table of PostgreSQL / SQLite for the same work.
 *
 *  1. The knee: steps of --step-s seconds of honest calls (the UAC scenario matches the BYE's own
 *     transaction; behind Kamailio it follows the Record-Route), doubling from --start-rate until a
 *     step loses a call, then bisecting to --resolution: the highest rate with zero failures.
 *  2. Webhooks at the knee: --sustain-s seconds of calls at the knee rate; the receiver counts every
 *     after-call webhook and the bench waits for the last one. Prints webhooks per second (received
 *     over the time from the first call to the last webhook), the delay from a call's end (its
 *     ended_at) to its webhook arriving (p50/p99), and webhooks per call stored.
 * Then a table with the ratios (two nodes / one node, behind Kamailio / direct) and the core count.
 *
 * Options (also BENCH_CLUSTER_<NAME>): --quick (short steps, coarse bisection: under 2 min a store),
 * --setups, --store (sqlite | postgres | both), --step-s (5), --hold-ms (200), --start-rate (100),
 * --resolution (0.1), --sustain-s (20), --base-port (45000: Kamailio 45000, nodes SIP/API 45010/45011
 * and 45020/45021, receiver 45030, sipp 45040-45087, PostgreSQL 45090, node RTP 45100-45899 and
 * 45900-46699). The setups are started by bench/cluster-setup.ts. Asserts nothing.
 */
import { cpus, loadavg } from 'node:os';
import { startSipp, type SippResult } from '../test/helpers/sipp.js';
import {
  clusterPorts,
  parseClusterOptions,
  type ClusterOptions,
  type Setup,
  type StoreKind,
} from './cluster-options.js';
import {
  formatReport,
  formatStoreComparison,
  percentile,
  searchKnee,
  SETUP_LABELS,
  STORE_LABELS,
  type DeliveryFigures,
  type SetupResult,
} from './cluster-report.js';
import { startCluster, type Cluster, type Receiver } from './cluster-setup.js';
import { startBenchStore, type BenchStore } from './cluster-store.js';
import { webhookReceiver } from './server-child.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(100);
  }
  return true;
}

/** Calls each node has stored: GET /calls total of each, or by calls.node_id in the shared database. */
async function stored(cluster: Cluster): Promise<number[]> {
  if (cluster.database) {
    const byNode = await cluster.database.callsByNode();
    return cluster.nodes.map((_, i) => byNode.get(`node-${i}`) ?? 0);
  }
  return Promise.all(
    cluster.nodes.map(async (n) => (await n.api<{ total: number }>('GET', '/calls?limit=1')).total),
  );
}

/** Calls up on all nodes together (callwright_calls_active on each node's /metrics). */
async function activeCalls(cluster: Cluster): Promise<number> {
  let total = 0;
  for (const node of cluster.nodes) {
    const text = await (await fetch(`${node.apiUrl}/metrics`)).text();
    for (const m of text.matchAll(/^callwright_calls_active(?:\{[^}]*\})? (\S+)$/gm)) total += Number(m[1]);
  }
  return total;
}

/**
 * Waits until no call is up, no webhook arrived for a second (the last step's after-call work is done) and, behind
 * Kamailio, every node is in again (a node that was overloaded answers OPTIONS 503 for a while).
 */
async function settle(cluster: Cluster, receiver: Receiver): Promise<void> {
  for (let i = 0; i < 120 && (await activeCalls(cluster)) > 0; i++) await sleep(500);
  let [last, since] = [receiver.count(), Date.now()];
  await until(() => {
    if (receiver.count() !== last) [last, since] = [receiver.count(), Date.now()];
    return Date.now() - since >= 1000;
  }, 60_000);
  const proxy = cluster.proxy;
  if (proxy && !(await until(() => proxy.destinations().every((d) => d.flags.startsWith('A')), 30_000))) {
    const flags = proxy.destinations().map((d) => `${d.uri} ${d.flags}`);
    console.log(`  not every node is back in after 30 s: ${flags.join(', ')}`);
  }
}

const counted = (r: SippResult, what: 'Successful' | 'Failed'): number =>
  Number(new RegExp(`${what} call\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`).exec(r.stdout)?.[1] ?? NaN);

let stepNo = 0;

/** `rate` calls/s for `seconds` through the cluster; sipp's result. */
async function calls(
  cluster: Cluster,
  opts: ClusterOptions,
  rate: number,
  seconds: number,
): Promise<SippResult> {
  const run = (): Promise<SippResult> => {
    // A new local port each step: the last step's socket may be held a moment after sipp exits.
    const localPort = clusterPorts(opts.basePort).sipp + 6 * (stepNo++ % 8);
    return startSipp({
      scenario: cluster.scenario,
      remote: cluster.target,
      service: '1000',
      localPort,
      mediaPort: localPort + 2,
      calls: Math.max(1, Math.round(rate * seconds)),
      rate,
      limit: 20_000,
      extraArgs: ['-d', String(opts.holdMs), '-rate_increase', '0'],
      timeoutMs: (seconds + 40) * 1000,
    }).done;
  };
  let result = await run();
  // 254: sipp could not start (its port still held): once more.
  if (result.code === 254) result = await run();
  return result;
}

async function kneeStep(cluster: Cluster, opts: ClusterOptions, receiver: Receiver, rate: number) {
  await settle(cluster, receiver);
  const started = Date.now();
  const r = await calls(cluster, opts, rate, opts.stepS);
  const ok = r.code === 0;
  console.log(
    `${String(rate).padStart(6)} calls/s: ${ok ? 'all went through' : `lost calls (failed ${counted(r, 'Failed')}, sipp exit ${r.code})`} ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s; load ${load()}`,
  );
  return ok;
}

/** Calls at `rate` for --sustain-s, then waits for their webhooks. */
async function sustain(
  cluster: Cluster,
  opts: ClusterOptions,
  receiver: Receiver,
  rate: number,
): Promise<{ deliveries: DeliveryFigures; perNode: number[]; failed: number }> {
  await settle(cluster, receiver);
  const before = await stored(cluster);
  const from = receiver.deliveries.length;
  const started = Date.now();
  const r = await calls(cluster, opts, rate, opts.sustainS);
  const sippEnded = Date.now();
  const after = await stored(cluster);
  const perNode = after.map((n, i) => n - (before[i] ?? 0));
  const callsStored = perNode.reduce((a, b) => a + b, 0);
  // Every stored call's webhook, or no new one for 15 s (calls sipp gave up on end after the agent's
  // 10 s wait; the figure then shows what is missing).
  let seen = receiver.deliveries.length;
  let quietSince = Date.now();
  await until(() => {
    if (receiver.deliveries.length !== seen) [seen, quietSince] = [receiver.deliveries.length, Date.now()];
    return receiver.deliveries.length - from >= callsStored || Date.now() - quietSince > 15_000;
  }, 180_000);
  const all = receiver.deliveries.slice(from);
  // The rate counts the webhooks of calls that ended while sipp ran, not those of calls the node ended
  // itself 10 s after sipp gave up on them (they would stretch the window with nothing in between).
  const got = all.filter((d) => d.endedAt === undefined || d.endedAt <= sippEnded + 1000);
  const firstAt = got[0]?.receivedAt ?? started;
  const lastAt = got.at(-1)?.receivedAt ?? sippEnded;
  const finalAt = all.at(-1)?.receivedAt ?? sippEnded;
  const delays = got
    .filter((d) => d.endedAt !== undefined)
    .map((d) => d.receivedAt - (d.endedAt as number))
    .sort((a, b) => a - b);
  const deliveries: DeliveryFigures = {
    calls: callsStored,
    received: all.length,
    distinctCalls: new Set(all.map((d) => d.callId)).size,
    perSecond: got.length > 1 ? (got.length - 1) / Math.max(0.001, (lastAt - firstAt) / 1000) : 0,
    callsPerSecond: callsStored / Math.max(0.001, (sippEnded - started) / 1000),
    delayP50: percentile(delays, 50),
    delayP99: percentile(delays, 99),
    tailS: Math.max(0, (finalAt - sippEnded) / 1000),
  };
  const failed = r.code === 0 ? 0 : counted(r, 'Failed');
  console.log(
    `webhooks at ${rate} calls/s for ${opts.sustainS} s: ${all.length} received for ${deliveries.distinctCalls} calls ` +
      `of ${callsStored} stored (${perNode.join(' + ')}), sipp ${counted(r, 'Successful')} successful, ${failed} failed; ` +
      `${deliveries.perSecond.toFixed(0)}/s (calls stored per second of sipp's run: ${deliveries.callsPerSecond.toFixed(0)}), call end -> webhook p50 ${deliveries.delayP50 ?? 'n/a'} ms, ` +
      `p99 ${deliveries.delayP99 ?? 'n/a'} ms, last one ${deliveries.tailS.toFixed(1)} s after sipp ended; load ${load()}`,
  );
  return { deliveries, perNode, failed };
}

async function measure(
  setup: Setup,
  opts: ClusterOptions,
  receiver: Receiver,
  store: BenchStore,
): Promise<SetupResult> {
  const cluster = await startCluster(setup, opts, receiver, store);
  try {
    console.log(
      `\n== ${SETUP_LABELS[setup]} (${STORE_LABELS[store.kind]}): ${opts.stepS} s steps of ${opts.holdMs} ms calls to ${cluster.target}; load ${load()} ==`,
    );
    const search = await searchKnee((rate) => kneeStep(cluster, opts, receiver, rate), {
      startRate: opts.startRate,
      resolution: opts.resolution,
    });
    console.log(`knee: ${search.knee} calls/s (first losing rate ${search.firstBad ?? 'none'})`);
    // The knee held for one step; for --sustain-s it may not. The webhooks are timed at the highest rate
    // whose calls all went through for the whole run: the knee, else (full mode) two tries 20 % lower each.
    let rate = search.knee > 0 ? search.knee : 10;
    let s = await sustain(cluster, opts, receiver, rate);
    for (let tries = 1; s.failed > 0 && tries < opts.sustainTries && rate > 10; tries++) {
      rate = Math.max(10, Math.round(rate * 0.8));
      console.log(`  ${s.failed} calls failed in ${opts.sustainS} s at that rate: again at ${rate} calls/s`);
      s = await sustain(cluster, opts, receiver, rate);
    }
    return {
      setup,
      nodes: cluster.nodes.length,
      search,
      perNode: s.perNode,
      sustainRate: rate,
      sustainFailed: s.failed,
      deliveries: s.deliveries,
    };
  } catch (err) {
    console.error(
      `${setup} failed: ${(err as Error).message}\n${cluster.nodes.map((n) => n.stderrTail()).join('\n')}`,
    );
    throw err;
  } finally {
    await cluster.stop();
  }
}

interface StoreRun {
  store: StoreKind;
  results: SetupResult[];
  loadBefore: string;
  loadAfter: string;
  seconds: number;
}

/** Every setup on one store (its PostgreSQL server started first, stopped after). */
async function runStore(kind: StoreKind, opts: ClusterOptions, receiver: Receiver): Promise<StoreRun> {
  const loadBefore = load();
  const began = Date.now();
  console.log(`\n### store: ${STORE_LABELS[kind]}; load ${loadBefore}`);
  const store = await startBenchStore(kind, clusterPorts(opts.basePort).postgres);
  const results: SetupResult[] = [];
  try {
    for (const setup of opts.setups) results.push(await measure(setup, opts, receiver, store));
  } finally {
    await store.stop();
  }
  return { store: kind, results, loadBefore, loadAfter: load(), seconds: (Date.now() - began) / 1000 };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let opts: ClusterOptions;
  try {
    opts = parseClusterOptions(argv);
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 2;
    return;
  }
  const began = Date.now();
  console.log(
    `bench:cluster${opts.quick ? ' --quick' : ''}: ${opts.setups.join(', ')} on ${opts.stores.join(' then ')}; ` +
      `${cpus().length} cores; load ${load()}`,
  );
  const receiver = await webhookReceiver(clusterPorts(opts.basePort).receiver);
  const runs: StoreRun[] = [];
  try {
    for (const kind of opts.stores) runs.push(await runStore(kind, opts, receiver));
  } finally {
    await receiver.close();
  }
  console.log(`\n(${((Date.now() - began) / 1000).toFixed(0)} s)`);
  const command = `npm run bench:cluster${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  for (const run of runs) {
    console.log(`\n${STORE_LABELS[run.store]} (${run.seconds.toFixed(0)} s):\n`);
    console.log(formatReport(run.results, { cores: cpus().length, command, ...run }));
  }
  const [sqlite, postgres] = [
    runs.find((r) => r.store === 'sqlite'),
    runs.find((r) => r.store === 'postgres'),
  ];
  if (sqlite && postgres) console.log(`\n${formatStoreComparison(sqlite.results, postgres.results)}`);
}

await main();
