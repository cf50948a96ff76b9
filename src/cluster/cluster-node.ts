import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { dataPaths } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/store.js';
import type { AdmissionControl } from '../calls/admission.js';
import { NODE_LOST, recoverOpenCalls } from '../actions/call-recovery.js';
import type { ActionEngine } from '../actions/action-engine.js';
import { NodeRegistry } from './node-registry.js';
import { CallForwarding } from './call-forwarding.js';

/**
 * This node's id: `cluster.node_id`, else the one made on its first start and kept in `data.dir/node-id`
 * (the host name and a random suffix), so a restart of the same installation is the same node and
 * closes the calls it left open itself.
 */
export function nodeIdOf(config: Config): string {
  if (config.cluster.node_id) return config.cluster.node_id;
  const file = path.join(dataPaths(config).dir, 'node-id');
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (NODE_ID.test(kept)) return kept;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 40) || 'node';
  const id = `${host}-${randomBytes(4).toString('hex')}`;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, id + '\n');
  return id;
}

/** What cluster.node_id accepts (cluster-config.ts). */
const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Where the other nodes reach this node's API: `cluster.api_url`, else the address it listens on. */
export function apiUrlOf(config: Config, listening: string): string {
  if (config.cluster.api_url) return config.cluster.api_url.replace(/\/+$/, '');
  if (config.api.host !== '0.0.0.0' && config.api.host !== '::') return listening;
  return listening.replace(/\/\/(0\.0\.0\.0|\[::\])/, `//${hostname()}`);
}

/**
 * One node of a cluster (docs/scaling.md): every call it creates is stamped with its id, its heartbeat
 * (active calls, limit, draining) is written to the store, API requests about other nodes' live calls are
 * forwarded to them, and the open calls of a node that died are closed here once its lease ran out, with
 * their after-call work queued, then its campaign attempts resolved (each exactly once across survivors). A single box runs the same, with one row.
 */
export class ClusterNode {
  readonly registry: NodeRegistry;
  readonly forwarding: CallForwarding;

  constructor(
    config: Config,
    private readonly deps: { store: Store; admission: AdmissionControl; logger: Logger },
  ) {
    const id = nodeIdOf(config);
    deps.store.nodeId = id;
    const sipHost = config.sip.public_address || config.sip.address;
    this.registry = new NodeRegistry(
      deps.store.sql,
      { id, apiUrl: '', sipUri: `sip:${sipHost}:${config.sip.port}` },
      config.cluster,
      {
        load: () => {
          const stats = deps.admission.stats();
          return {
            active: stats.active,
            limit: config.admission.max_concurrent_calls,
            draining: stats.draining,
          };
        },
        closeCallsOf: (nodeId) => this.closeCallsOf(nodeId),
        logger: deps.logger,
      },
    );
    this.forwarding = new CallForwarding(this.registry);
  }

  private engine: Pick<ActionEngine, 'session' | 'endCall'> | undefined;
  private campaigns: { resolveAttemptsOf(nodeId: string): Promise<number> } | undefined;

  get id(): string {
    return this.registry.self.id;
  }

  /** Closes what this node left open in a previous process (and calls from before nodes were recorded). */
  async recoverOwnCalls(engine: Pick<ActionEngine, 'session' | 'endCall'>): Promise<void> {
    this.engine = engine;
    await recoverOpenCalls(
      { store: this.deps.store, engine, logger: this.deps.logger.child({ component: 'recovery' }) },
      { nodeId: this.id, includeUnowned: true },
    );
  }

  /** The campaign attempts a dead node left in flight are resolved here too, after its calls. */
  attachCampaigns(campaigns: { resolveAttemptsOf(nodeId: string): Promise<number> }): void {
    this.campaigns = campaigns;
  }

  /** Joins the cluster once the API listens at `apiUrl`. */
  start(apiUrl: string): Promise<void> {
    return this.registry.start(apiUrl);
  }

  /** Leaves the cluster: the row goes, so no node forwards requests or places calls here any more. */
  async stop(): Promise<void> {
    await this.registry
      .stop()
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'could not leave the cluster cleanly'));
  }

  private async closeCallsOf(nodeId: string): Promise<void> {
    if (!this.engine) return;
    await recoverOpenCalls(
      {
        store: this.deps.store,
        engine: this.engine,
        logger: this.deps.logger.child({ component: 'recovery' }),
      },
      { nodeId, reason: NODE_LOST },
    );
    // After the calls: an attempt's outcome is read from its (now closed) call row.
    await this.campaigns?.resolveAttemptsOf(nodeId);
  }
}
