import type { Logger } from '../logging/logger.js';
import type { SqlDatabase } from '../store/sql/sql-database.js';
import type { ClusterSettings } from './cluster-config.js';

/** One node of the cluster as the `nodes` table holds it. */
export interface NodeRecord {
  id: string;
  api_url: string;
  sip_uri: string;
  started_at: string;
  heartbeat_at: string;
  active_calls: number;
  /** admission.max_concurrent_calls; 0 = no limit. */
  call_limit: number;
  draining: boolean;
}

/** What the node reports with each heartbeat. */
export interface NodeLoad {
  active: number;
  limit: number;
  draining: boolean;
}

export interface NodeIdentity {
  id: string;
  /** Known once the API listens (start); '' before. */
  apiUrl: string;
  sipUri: string;
}

interface NodeRow extends Omit<NodeRecord, 'draining' | 'call_limit'> {
  call_limit: number | null;
  draining: number;
}

const COLUMNS = 'id, api_url, sip_uri, started_at, heartbeat_at, active_calls, call_limit, draining';

/**
 * Cluster membership over the shared store: this node's row (heartbeat, active calls, limit, draining),
 * the other live nodes, and the dead ones. A node whose heartbeat is older than `lease_ms` is dead: its
 * row is removed and the open calls it held are closed by the survivors (each call closes once).
 * Node clocks are compared with each other, so the nodes keep NTP time (seconds of skew are harmless
 * against a lease of many seconds).
 */
export class NodeRegistry {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly sql: SqlDatabase,
    readonly self: NodeIdentity,
    private readonly settings: Pick<ClusterSettings, 'heartbeat_ms' | 'lease_ms'>,
    private readonly deps: {
      load: () => NodeLoad;
      /**
       * Close the open calls of a node that is gone (and queue their after-call work), then resolve its
       * campaign attempts still in flight. Called on every
       * beat while such calls remain, so a close that failed is tried again; closing must be idempotent
       * (two survivors may look at once).
       */
      closeCallsOf: (nodeId: string) => Promise<void>;
      logger: Logger;
      now?: () => number;
    },
  ) {}

  /**
   * Writes this node's row (a restart keeps the id and replaces the row) and starts the heartbeat.
   * `apiUrl`: where the others reach this node's API, once it listens.
   */
  async start(apiUrl?: string): Promise<void> {
    if (apiUrl) this.self.apiUrl = apiUrl;
    const now = this.iso();
    const load = this.deps.load();
    await this.sql.run(
      `INSERT INTO nodes (${COLUMNS}) VALUES (@id, @api_url, @sip_uri, @now, @now, @active, @limit, @draining)
       ON CONFLICT (id) DO UPDATE SET api_url = @api_url, sip_uri = @sip_uri, started_at = @now,
         heartbeat_at = @now, active_calls = @active, call_limit = @limit, draining = @draining`,
      { ...this.row(), now, ...loadParams(load) },
    );
    this.timer = setInterval(() => void this.beat(), this.settings.heartbeat_ms);
    this.timer.unref();
  }

  /** One heartbeat, then a look for dead nodes. Never throws (a store hiccup is logged and retried next beat). */
  beat(): Promise<void> {
    if (this.beating || this.stopped) return this.beating ?? Promise.resolve();
    this.beating = this.beatOnce()
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'cluster heartbeat failed'))
      .finally(() => (this.beating = undefined));
    return this.beating;
  }

  /** Stops the heartbeat and removes this node's row: the others stop sending it work at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.beating;
    await this.sql.run('DELETE FROM nodes WHERE id = ?', [this.self.id]);
  }

  /** The nodes whose heartbeat is within the lease, this one included. */
  async live(): Promise<NodeRecord[]> {
    const rows = await this.sql.all<NodeRow>(
      `SELECT ${COLUMNS} FROM nodes WHERE heartbeat_at >= ? ORDER BY id`,
      [this.iso(-this.settings.lease_ms)],
    );
    return rows.map(record);
  }

  /** A live node by id (undefined when unknown or dead). */
  async node(id: string): Promise<NodeRecord | undefined> {
    const row = await this.sql.get<NodeRow>(
      `SELECT ${COLUMNS} FROM nodes WHERE id = ? AND heartbeat_at >= ?`,
      [id, this.iso(-this.settings.lease_ms)],
    );
    return row ? record(row) : undefined;
  }

  /**
   * The live node with the most free capacity for a call out, not draining: the most free places under
   * its limit (no limit counts as unbounded, then fewest active calls); this node wins ties. Undefined
   * when every node is draining or full.
   */
  async freest(): Promise<NodeRecord | undefined> {
    const candidates = (await this.live()).filter(
      (n) => !n.draining && (n.call_limit === 0 || n.active_calls < n.call_limit),
    );
    const free = (n: NodeRecord): number => (n.call_limit === 0 ? Infinity : n.call_limit - n.active_calls);
    candidates.sort(
      (a, b) =>
        free(b) - free(a) ||
        a.active_calls - b.active_calls ||
        Number(b.id === this.self.id) - Number(a.id === this.self.id),
    );
    return candidates[0];
  }

  private async beatOnce(): Promise<void> {
    const load = this.deps.load();
    const params = { ...this.row(), now: this.iso(), ...loadParams(load) };
    const info = await this.sql.run(
      `UPDATE nodes SET heartbeat_at = @now, active_calls = @active, call_limit = @limit, draining = @draining
        WHERE id = @id`,
      params,
    );
    if (info.changes === 0) {
      // A survivor took this node for dead (a pause longer than the lease): join again; the calls it
      // closed are closed, the ones still running here end normally.
      this.deps.logger.warn({ node: this.self.id }, 'this node was taken for dead by another; joining again');
      await this.sql.run(
        `INSERT INTO nodes (${COLUMNS}) VALUES (@id, @api_url, @sip_uri, @now, @now, @active, @limit, @draining)
         ON CONFLICT (id) DO NOTHING`,
        params,
      );
    }
    await this.reapDead();
  }

  private async reapDead(): Promise<void> {
    const since = this.iso(-this.settings.lease_ms);
    const dead = await this.sql.all<{ id: string; heartbeat_at: string }>(
      'SELECT id, heartbeat_at FROM nodes WHERE heartbeat_at < ? AND id <> ?',
      [since, this.self.id],
    );
    for (const row of dead) {
      // The row goes once (conditional on the heartbeat read): the log says which survivor saw it go.
      const gone = await this.sql.run('DELETE FROM nodes WHERE id = ? AND heartbeat_at = ?', [
        row.id,
        row.heartbeat_at,
      ]);
      if (gone.changes > 0)
        this.deps.logger.warn(
          { node: row.id, lastHeartbeat: row.heartbeat_at },
          'a node stopped its heartbeat',
        );
    }
    // Open calls and campaign attempts held by no live node: the dead node's, including any a previous
    // close left behind (an attempt claimed just before the node died may have no call yet).
    const orphaned = await this.sql.all<{ node_id: string }>(
      `SELECT node_id FROM calls
        WHERE ended_at IS NULL AND node_id IS NOT NULL AND node_id <> ?
          AND node_id NOT IN (SELECT id FROM nodes WHERE heartbeat_at >= ?)
       UNION
       SELECT node_id FROM campaign_attempts
        WHERE status = 'dialling' AND node_id IS NOT NULL AND node_id <> ?
          AND node_id NOT IN (SELECT id FROM nodes WHERE heartbeat_at >= ?)`,
      [this.self.id, since, this.self.id, since],
    );
    for (const { node_id: nodeId } of orphaned) {
      await this.deps
        .closeCallsOf(nodeId)
        .catch((err: unknown) =>
          this.deps.logger.error({ err, node: nodeId }, 'the calls of a dead node could not all be closed'),
        );
    }
  }

  private row(): { id: string; api_url: string; sip_uri: string } {
    return { id: this.self.id, api_url: this.self.apiUrl, sip_uri: this.self.sipUri };
  }

  private iso(offsetMs = 0): string {
    return new Date((this.deps.now ?? Date.now)() + offsetMs).toISOString();
  }
}

/** The row's `call_limit` is NULL for no limit. */
function loadParams(load: NodeLoad): { active: number; limit: number | null; draining: number } {
  return { active: load.active, limit: load.limit > 0 ? load.limit : null, draining: load.draining ? 1 : 0 };
}

function record(row: NodeRow): NodeRecord {
  return { ...row, call_limit: row.call_limit ?? 0, draining: row.draining === 1 };
}
