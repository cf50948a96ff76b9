/**
 * bench:cluster's pure parts: the knee search (ramp, then bisection, as bench:sip does it) over any
 * step function, and the table of results with its ratios. Nothing here starts a process.
 */
import type { Setup, StoreKind } from './cluster-options.js';

export interface KneeSearch {
  /** Highest rate that went through with zero failures (0: not even the first). */
  knee: number;
  /** Lowest rate measured that lost a call (undefined: none did up to maxRate). */
  firstBad?: number;
  /** Every step in the order run. */
  steps: Array<{ rate: number; ok: boolean }>;
}

/**
 * Doubles from `startRate` until `step` fails (or `maxRate` is passed), then bisects between the last
 * good and the first bad rate until the gap is at most `resolution` × good (at least 10 calls/s).
 * When the first step already fails, the search goes down by halves from it to find a good rate.
 */
export async function searchKnee(
  step: (rate: number) => Promise<boolean>,
  options: { startRate: number; resolution: number; maxRate?: number },
): Promise<KneeSearch> {
  const steps: KneeSearch['steps'] = [];
  const run = async (rate: number): Promise<boolean> => {
    const ok = await step(rate);
    steps.push({ rate, ok });
    return ok;
  };
  const maxRate = options.maxRate ?? 12_800;
  let good = 0;
  let bad: number | undefined;
  for (let rate = options.startRate; rate <= maxRate; rate *= 2) {
    if (await run(rate)) good = rate;
    else {
      bad = rate;
      break;
    }
  }
  // Below the start: halve until a rate holds (a machine far busier than expected).
  while (good === 0 && bad !== undefined && bad > 10) {
    const lower = Math.max(10, Math.floor(bad / 2));
    if (await run(lower)) good = lower;
    else bad = lower;
  }
  const gap = (): number => Math.max(10, Math.round(good * options.resolution));
  while (bad !== undefined && good > 0 && bad - good > gap()) {
    const mid = Math.round((good + bad) / 2);
    if (await run(mid)) good = mid;
    else bad = mid;
  }
  return { knee: good, ...(bad !== undefined ? { firstBad: bad } : {}), steps };
}

/** Nearest-rank percentile of sorted numbers; undefined when there are none. */
export function percentile(sorted: number[], p: number): number | undefined {
  if (!sorted.length) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The after-call webhooks of the run at the knee, as the receiver counted them. */
export interface DeliveryFigures {
  /** Calls the nodes stored during the run (all nodes together). */
  calls: number;
  /** Requests the receiver got, and for how many distinct calls. */
  received: number;
  distinctCalls: number;
  /** Webhooks per second between the first and the last arrival. */
  perSecond: number;
  /** Calls stored over sipp's run (sipp's start to its exit): what the webhooks had to keep up with. */
  callsPerSecond: number;
  /** Call ended → webhook received, ms. */
  delayP50?: number;
  delayP99?: number;
  /** From the last call sipp ended to the last webhook, s. */
  tailS: number;
}

export interface SetupResult {
  setup: Setup;
  nodes: number;
  search: KneeSearch;
  /** Calls taken by each node while the webhooks were timed (how the dispatcher spread them). */
  perNode: number[];
  /** Calls/s offered while the webhooks were timed (the knee, or lower when the knee did not hold). */
  sustainRate: number;
  /** sipp's failed calls in that run (0 unless no tried rate held for the whole run). */
  sustainFailed: number;
  deliveries: DeliveryFigures;
}

export const SETUP_LABELS: Record<Setup, string> = {
  direct: 'one node, direct',
  kamailio: 'one node behind Kamailio',
  'kamailio-2': 'two nodes behind Kamailio',
};

export const STORE_LABELS: Record<StoreKind, string> = {
  sqlite: 'SQLite, each node its own file',
  postgres: 'PostgreSQL, one database shared by the nodes',
};

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || b === 0) return 'n/a';
  return `${(a / b).toFixed(2)}×`;
}

const ms = (n: number | undefined): string => (n === undefined ? 'n/a' : `${Math.round(n)} ms`);

function row(r: SetupResult): string[] {
  const d = r.deliveries;
  return [
    SETUP_LABELS[r.setup],
    `${r.search.knee}`,
    r.search.firstBad === undefined ? 'none' : `${r.search.firstBad}`,
    `${Math.round(d.perSecond)} (calls at ${r.sustainRate}/s: ${Math.round(d.callsPerSecond)}/s stored)`,
    `${ms(d.delayP50)} / ${ms(d.delayP99)}`,
    `${d.distinctCalls} / ${d.calls}${r.sustainFailed ? ` (${r.sustainFailed} calls failed)` : ''}`,
    r.perNode.join(' + '),
  ];
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** The printed result: one row a setup, then the ratios, the machine and the caveat. */
export function formatReport(
  results: SetupResult[],
  machine: { cores: number; store: StoreKind; loadBefore: string; loadAfter: string; command: string },
): string {
  const by = (s: Setup): SetupResult | undefined => results.find((r) => r.setup === s);
  const [direct, one, two] = [by('direct'), by('kamailio'), by('kamailio-2')];
  const header = [
    'setup',
    'calls/s, 0 failures',
    'first losing rate',
    'webhooks/s',
    'call end → webhook p50 / p99',
    'webhooks / calls',
    'calls per node',
  ];
  const ratios = [
    [
      'two nodes / one node (both behind Kamailio)',
      ratio(two?.search.knee, one?.search.knee),
      ratio(two?.deliveries.perSecond, one?.deliveries.perSecond),
    ],
    [
      'one node: behind Kamailio / direct',
      ratio(one?.search.knee, direct?.search.knee),
      ratio(one?.deliveries.perSecond, direct?.deliveries.perSecond),
    ],
  ];
  const postgres = machine.store === 'postgres' ? ', PostgreSQL' : '';
  return [
    `bench:cluster (${machine.command}): ${machine.cores} cores, store ${STORE_LABELS[machine.store]}; load ${machine.loadBefore} -> ${machine.loadAfter}`,
    '',
    table(header, results.map(row)),
    '',
    table(['ratio', 'calls/s', 'webhooks/s'], ratios),
    '',
    `Every process shares this machine's ${machine.cores} cores: sipp, Kamailio, the nodes${postgres} and the ` +
      'webhook receiver. Two nodes on one machine compete for the same CPUs, so "two nodes / one node" shows what ' +
      'a second node costs or gains here, not what a second machine would add.',
  ].join('\n');
}

/**
 * The same work on both stores, setup by setup: PostgreSQL's figure beside SQLite's and their ratio
 * (PostgreSQL / SQLite: below 1 is what sharing one database costs here).
 */
export function formatStoreComparison(sqlite: SetupResult[], postgres: SetupResult[]): string {
  const header = [
    'setup',
    'calls/s: SQLite / PostgreSQL',
    'ratio',
    'webhooks/s: SQLite / PostgreSQL',
    'ratio',
    'call end → webhook p50 / p99: SQLite',
    'PostgreSQL',
  ];
  const rows = sqlite.flatMap((s) => {
    const p = postgres.find((r) => r.setup === s.setup);
    if (!p) return [];
    const [sd, pd] = [s.deliveries, p.deliveries];
    return [
      [
        SETUP_LABELS[s.setup],
        `${s.search.knee} / ${p.search.knee}`,
        ratio(p.search.knee, s.search.knee),
        `${Math.round(sd.perSecond)} / ${Math.round(pd.perSecond)}`,
        ratio(pd.perSecond, sd.perSecond),
        `${ms(sd.delayP50)} / ${ms(sd.delayP99)}`,
        `${ms(pd.delayP50)} / ${ms(pd.delayP99)}`,
      ],
    ];
  });
  return [
    'SQLite vs PostgreSQL, the same setups and steps (ratio: PostgreSQL / SQLite):',
    '',
    table(header, rows),
    '',
    'The webhooks/s of each store is timed at the rate that held there for the whole run, so where the ' +
      'knees differ the webhook figures compare different call rates. PostgreSQL runs on the same cores ' +
      'as everything else.',
  ].join('\n');
}
