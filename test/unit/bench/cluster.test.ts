/**
 * bench:cluster's pieces that run without a server: its options (which stores run, bad values named), the
 * knee search (ramp, then bisection to the resolution) and the printed tables with their ratios, core
 * count and caveat, and the SQLite vs PostgreSQL comparison.
 */
import { describe, expect, it } from 'vitest';
import { clusterPorts, parseClusterOptions, SETUPS } from '../../../bench/cluster-options.js';
import {
  formatReport,
  formatStoreComparison,
  percentile,
  searchKnee,
  type SetupResult,
} from '../../../bench/cluster-report.js';

describe('bench:cluster options', () => {
  it('defaults to the full run of all three setups on SQLite', () => {
    const o = parseClusterOptions([], {});
    expect(o).toMatchObject({
      quick: false,
      store: 'sqlite',
      stores: ['sqlite'],
      stepS: 5,
      resolution: 0.1,
      sustainS: 20,
      sustainTries: 3,
    });
    expect(o.setups).toEqual([...SETUPS]);
  });

  it('--quick shortens steps, bisection and the webhook run; explicit options still win', () => {
    const o = parseClusterOptions(['--quick', '--step-s', '3'], {});
    expect(o).toMatchObject({
      quick: true,
      stepS: 3,
      resolution: 0.5,
      sustainS: 3,
      startRate: 400,
      sustainTries: 1,
    });
  });

  it('reads BENCH_CLUSTER_<NAME> when the option is not given', () => {
    const env = {
      BENCH_CLUSTER_SETUPS: 'kamailio-2,direct',
      BENCH_CLUSTER_HOLD_MS: '500',
      BENCH_CLUSTER_QUICK: '1',
    };
    const o = parseClusterOptions([], env);
    expect(o.setups).toEqual(['kamailio-2', 'direct']);
    expect(o.holdMs).toBe(500);
    expect(o.quick).toBe(true);
    expect(parseClusterOptions(['--hold-ms', '300'], env).holdMs).toBe(300);
  });

  it('--store postgres runs PostgreSQL only; both runs SQLite, then PostgreSQL', () => {
    expect(parseClusterOptions(['--store', 'postgres'], {})).toMatchObject({
      store: 'postgres',
      stores: ['postgres'],
    });
    expect(parseClusterOptions(['--store', 'both'], {})).toMatchObject({
      store: 'both',
      stores: ['sqlite', 'postgres'],
    });
    expect(parseClusterOptions([], { BENCH_CLUSTER_STORE: 'both' }).stores).toEqual(['sqlite', 'postgres']);
    // The option wins over the environment, as for every other option.
    expect(parseClusterOptions(['--store', 'sqlite'], { BENCH_CLUSTER_STORE: 'both' }).stores).toEqual([
      'sqlite',
    ]);
  });

  it.each([['mysql'], ['Postgres'], ['sqlite,postgres']])(
    'refuses --store %j, naming what is accepted',
    (store) => {
      const message = `--store: got ${JSON.stringify(store)}, expected one of sqlite, postgres, both`;
      expect(() => parseClusterOptions(['--store', store], {})).toThrow(message);
      expect(() => parseClusterOptions([], { BENCH_CLUSTER_STORE: store })).toThrow(message);
    },
  );

  it.each([
    [
      ['--setups', 'direct,three-nodes'],
      '--setups: got "three-nodes", expected a comma-separated list of direct, kamailio, kamailio-2',
    ],
    [['--step-s', '0'], '--step-s: got "0", expected a positive number'],
    [['--start-rate', 'fast'], '--start-rate: got "fast", expected a positive number'],
    [['--resolution', '2'], '--resolution: got 2, expected a fraction below 1'],
    [['--base-port', '65000'], '--base-port: got 65000, expected at most 63835'],
  ])('refuses %j naming the option and the value', (argv, message) => {
    expect(() => parseClusterOptions(argv, {})).toThrow(message);
  });

  it('lays the ports out without overlaps: proxy, nodes, receiver, PostgreSQL, sipp, two RTP ranges', () => {
    const p = clusterPorts(45000);
    const single = [
      p.proxy,
      p.receiver,
      p.postgres,
      ...[0, 1].flatMap((i) => [p.node(i).sip, p.node(i).api]),
    ];
    // sipp rotates over 8 local ports 6 apart, each with RTP 2 and 4 above.
    const sipp = Array.from({ length: 8 }, (_, k) => p.sipp + 6 * k).flatMap((s) => [s, s + 2, s + 4]);
    const all = [...single, ...sipp];
    expect(new Set(all).size).toBe(all.length);
    expect(Math.max(...all)).toBeLessThan(p.node(0).rtpMin);
    expect(p.node(0).rtpMax).toBeLessThan(p.node(1).rtpMin);
    expect(p.node(1).rtpMax).toBeLessThan(45000 + 1700);
  });
});

describe('the knee search', () => {
  const threshold = (limit: number) => async (rate: number) => rate <= limit;

  it('ramps by doubling, then bisects to the resolution', async () => {
    const s = await searchKnee(threshold(730), { startRate: 100, resolution: 0.1 });
    expect(s.steps.slice(0, 5).map((x) => x.rate)).toEqual([100, 200, 400, 800, 600]);
    expect(s.knee).toBeLessThanOrEqual(730);
    expect(s.firstBad).toBeGreaterThan(730);
    expect(s.firstBad! - s.knee).toBeLessThanOrEqual(Math.max(10, Math.round(s.knee * 0.1)));
    // The knee printed is a rate that was measured good, not the top of the ramp.
    expect(s.steps).toContainEqual({ rate: s.knee, ok: true });
  });

  it('goes below the start rate when the first step already fails', async () => {
    const s = await searchKnee(threshold(60), { startRate: 200, resolution: 0.1 });
    expect(s.steps.map((x) => x.rate).slice(0, 3)).toEqual([200, 100, 50]);
    expect(s.knee).toBeGreaterThanOrEqual(50);
    expect(s.knee).toBeLessThanOrEqual(60);
  });

  it('reports no losing rate when nothing failed up to the top', async () => {
    const s = await searchKnee(threshold(1e9), { startRate: 100, resolution: 0.1, maxRate: 400 });
    expect(s).toEqual({
      knee: 400,
      steps: [100, 200, 400].map((rate) => ({ rate, ok: true })),
    });
  });

  it('nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
  });
});

describe('the report', () => {
  const result = (
    setup: SetupResult['setup'],
    knee: number,
    perSecond: number,
    perNode: number[],
  ): SetupResult => ({
    setup,
    nodes: perNode.length,
    search: { knee, firstBad: knee + 50, steps: [] },
    perNode,
    sustainRate: knee,
    sustainFailed: 0,
    deliveries: {
      calls: perNode.reduce((a, b) => a + b, 0),
      received: perNode.reduce((a, b) => a + b, 0),
      distinctCalls: perNode.reduce((a, b) => a + b, 0),
      perSecond,
      callsPerSecond: knee,
      delayP50: 20,
      delayP99: 180,
      tailS: 0.2,
    },
  });
  const machine = {
    cores: 2,
    store: 'sqlite' as const,
    loadBefore: '0.5',
    loadAfter: '1.9',
    command: 'npm run bench:cluster',
  };

  it('prints a row per setup, both ratios, the core count and the shared-CPU caveat', () => {
    const text = formatReport(
      [
        result('direct', 600, 590, [3000]),
        result('kamailio', 400, 400, [2000]),
        result('kamailio-2', 500, 480, [1250, 1250]),
      ],
      machine,
    );
    expect(text).toMatch(/2 cores, store SQLite, each node its own file; load 0\.5 -> 1\.9/);
    expect(text).toMatch(
      /\| two nodes behind Kamailio +\| 500 +\| 550 +\| 480 \(calls at 500\/s: 500\/s stored\) +\| 20 ms \/ 180 ms +\| 2500 \/ 2500 +\| 1250 \+ 1250 +\|/,
    );
    // two / one behind Kamailio: 500/400 calls/s, 480/400 webhooks/s; Kamailio / direct: 400/600, 400/590.
    expect(text).toMatch(/\| two nodes \/ one node \(both behind Kamailio\) \| 1\.25× +\| 1\.20× +\|/);
    expect(text).toMatch(/\| one node: behind Kamailio \/ direct +\| 0\.67× +\| 0\.68× +\|/);
    expect(text).toMatch(/shares this machine's 2 cores/);
    expect(text).toMatch(/compete for the same CPUs/);
  });

  it('names the shared PostgreSQL store and counts PostgreSQL among the processes sharing the cores', () => {
    const text = formatReport([result('kamailio-2', 300, 280, [900, 910])], {
      ...machine,
      store: 'postgres',
    });
    expect(text).toMatch(/2 cores, store PostgreSQL, one database shared by the nodes; load 0\.5 -> 1\.9/);
    expect(text).toMatch(/sipp, Kamailio, the nodes, PostgreSQL and the webhook receiver/);
    expect(text).toMatch(/\| 900 \+ 910 +\|/);
    expect(formatReport([], machine)).not.toMatch(/PostgreSQL/);
  });

  it('compares the stores setup by setup: both figures and PostgreSQL / SQLite', () => {
    const sqlite = [result('direct', 500, 320, [6400]), result('kamailio-2', 400, 320, [3200, 3200])];
    const postgres = [
      {
        ...result('direct', 250, 200, [4000]),
        deliveries: { ...result('direct', 250, 200, [4000]).deliveries, delayP99: 950 },
      },
      result('kamailio-2', 300, 240, [2400, 2400]),
    ];
    const text = formatStoreComparison(sqlite, postgres);
    expect(text).toMatch(/ratio: PostgreSQL \/ SQLite/);
    expect(text).toMatch(
      /\| one node, direct +\| 500 \/ 250 +\| 0\.50× \| 320 \/ 200 +\| 0\.63× \| 20 ms \/ 180 ms +\| 20 ms \/ 950 ms +\|/,
    );
    expect(text).toMatch(/\| two nodes behind Kamailio \| 400 \/ 300 +\| 0\.75× \| 320 \/ 240 +\| 0\.75× \|/);
    // Every row has as many cells as the header (no separator inside a cell).
    const cells = text
      .split('\n')
      .filter((l) => l.startsWith('|'))
      .map((l) => l.split('|').length);
    expect(new Set(cells).size).toBe(1);
    // A setup run on one store only has no row.
    expect(text).not.toMatch(/one node behind Kamailio/);
  });

  it('says n/a for a ratio whose setup was not run, and shows failed calls of the webhook run', () => {
    const two = { ...result('kamailio-2', 500, 480, [10, 12]), sustainFailed: 3 };
    const text = formatReport([two], machine);
    expect(text).toMatch(/\| two nodes \/ one node \(both behind Kamailio\) \| n\/a +\| n\/a +\|/);
    expect(text).toMatch(/22 \/ 22 \(3 calls failed\)/);
  });
});
