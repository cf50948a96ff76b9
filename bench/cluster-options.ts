/**
 * bench:cluster's options: parsed and checked apart from the run so they can be tested without
 * starting anything. Every option also comes from the environment as BENCH_CLUSTER_<NAME>.
 */
import { parseArgs } from 'node:util';
import { positiveOption } from './options.js';

/** What is measured: one node called directly, one node behind Kamailio, two nodes behind Kamailio. */
export const SETUPS = ['direct', 'kamailio', 'kamailio-2'] as const;
export type Setup = (typeof SETUPS)[number];

/** Stores the bench can put under the nodes: each node its own SQLite file, or one PostgreSQL they share. */
export const STORE_KINDS = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];
/** What --store accepts: one store, or `both` (SQLite, then PostgreSQL, then the comparison). */
export const STORES = [...STORE_KINDS, 'both'] as const;
export type StoreChoice = (typeof STORES)[number];

export interface ClusterOptions {
  quick: boolean;
  store: StoreChoice;
  /** The stores run, in order (`both`: SQLite first). */
  stores: StoreKind[];
  setups: Setup[];
  /** Seconds of calls per step of the knee search. */
  stepS: number;
  /** How long each call is held between the answer and the caller's BYE, ms. */
  holdMs: number;
  /** First rate of the ramp; it doubles until a step loses a call. */
  startRate: number;
  /** Bisection stops when the gap is at most this fraction of the good rate (at least 10 calls/s). */
  resolution: number;
  /** Seconds of calls at the knee while the webhooks are timed. */
  sustainS: number;
  /** Rates tried for that run (each 20 % below the last when calls failed); --quick tries the knee only. */
  sustainTries: number;
  /** First port of the bench's block (see bench/cluster.ts for the layout). */
  basePort: number;
}

const QUICK = { stepS: 2, resolution: 0.5, sustainS: 3, startRate: 400, sustainTries: 1 };
const FULL = { stepS: 5, resolution: 0.1, sustainS: 20, startRate: 100, sustainTries: 3 };

function listOption<T extends string>(
  name: string,
  raw: string | undefined,
  allowed: readonly T[],
  fallback: T[],
): T[] {
  if (raw === undefined) return fallback;
  const items = raw.split(',').map((s) => s.trim());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new Error(
        `--${name}: got ${JSON.stringify(item)}, expected a comma-separated list of ${allowed.join(', ')}`,
      );
    }
  }
  return [...new Set(items)] as T[];
}

function storeOption(raw: string | undefined): StoreChoice {
  const store = raw ?? 'sqlite';
  if ((STORES as readonly string[]).includes(store)) return store as StoreChoice;
  throw new Error(`--store: got ${JSON.stringify(store)}, expected one of ${STORES.join(', ')}`);
}

/** Parses `argv` (without node and the script) with `env` as the fallback for each option. */
export function parseClusterOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): ClusterOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      store: { type: 'string' },
      setups: { type: 'string' },
      'step-s': { type: 'string' },
      'hold-ms': { type: 'string' },
      'start-rate': { type: 'string' },
      resolution: { type: 'string' },
      'sustain-s': { type: 'string' },
      'base-port': { type: 'string' },
    },
  });
  const fromEnv = (name: string): string | undefined =>
    env[`BENCH_CLUSTER_${name.toUpperCase().replace(/-/g, '_')}`];
  const raw = (name: keyof typeof values): string | undefined => {
    const v = values[name];
    return typeof v === 'string' ? v : fromEnv(name);
  };
  // positiveOption reads process.env; the options here read `env`, so pass the value in directly.
  const numeric = (name: keyof typeof values, fallback: number): number =>
    positiveOption({ [name]: raw(name) }, name, fallback);
  const quick = values.quick === true || ['1', 'true'].includes(fromEnv('quick') ?? '');
  const d = quick ? QUICK : FULL;
  const resolution = numeric('resolution', d.resolution);
  if (resolution >= 1) {
    throw new Error(`--resolution: got ${resolution}, expected a fraction below 1 (0.1 = bisect to 10 %)`);
  }
  const basePort = Math.round(numeric('base-port', 45000));
  if (basePort + PORT_SPAN > 65535) {
    throw new Error(
      `--base-port: got ${basePort}, expected at most ${65535 - PORT_SPAN} (the bench uses ${PORT_SPAN} ports)`,
    );
  }
  const store = storeOption(raw('store'));
  return {
    quick,
    store,
    stores: store === 'both' ? [...STORE_KINDS] : [store],
    setups: listOption('setups', raw('setups'), SETUPS, [...SETUPS]),
    stepS: numeric('step-s', d.stepS),
    holdMs: Math.round(numeric('hold-ms', 200)),
    startRate: Math.round(numeric('start-rate', d.startRate)),
    resolution,
    sustainS: numeric('sustain-s', d.sustainS),
    sustainTries: d.sustainTries,
    basePort,
  };
}

/** Ports from --base-port: the bench's whole block (RTP ranges included). */
export const PORT_SPAN = 1700;

export interface ClusterPorts {
  proxy: number;
  receiver: number;
  /** The throwaway PostgreSQL server of --store postgres (and both). */
  postgres: number;
  /** sipp's SIP port; its RTP ports are 2 and 4 above. */
  sipp: number;
  node(i: number): { sip: number; api: number; rtpMin: number; rtpMax: number };
}

/**
 * base: Kamailio; +10/+11, +20/+21: node SIP/API; +30 receiver; +40 sipp; +90 PostgreSQL; RTP 800 a node
 * from +100.
 */
export function clusterPorts(base: number): ClusterPorts {
  return {
    proxy: base,
    receiver: base + 30,
    postgres: base + 90,
    sipp: base + 40,
    node: (i) => ({
      sip: base + 10 * (i + 1),
      api: base + 10 * (i + 1) + 1,
      rtpMin: base + 100 + 800 * i,
      rtpMax: base + 100 + 800 * i + 799,
    }),
  };
}
