import type { SqlDatabase } from '../store/sql/sql-database.js';
import type { CallFeed } from '../store/call-feed.js';
import { filteredPage, type FilteredTable } from '../store/filtered-page.js';
import { newId, nowIso } from '../store/ids.js';
import type { Page } from '../store/repository.js';
import { redactPii } from './pii-redaction.js';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'queued';

export interface ActionRunRecord {
  id: string;
  action_id: string | null;
  attachment_id: string | null;
  call_id: string | null;
  agent_id: string | null;
  action_type: string;
  stage: string | null;
  trigger: Record<string, unknown>;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  status: RunStatus;
  attempts: number;
  error: string | null;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
}

export interface RunStart {
  /** null for an inline run (an agent command with no definition). */
  actionId: string | null;
  attachmentId?: string | null;
  callId?: string | null;
  agentId?: string | null;
  actionType: string;
  stage: string;
  trigger: unknown;
  inputs: unknown;
  status?: 'running' | 'queued';
}

export interface RunFilter {
  actionId?: string;
  callId?: string;
  agentId?: string;
  status?: RunStatus;
  limit?: number;
  offset?: number;
}

export interface ActionStats {
  action_id: string;
  runs: number;
  succeeded: number;
  failed: number;
  success_rate: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
}

/** Which finished runs `statsByAction` counts: all of them, or one agent's, in a time window. */
export interface StatsWindow {
  agentId?: string;
  /** ISO 8601 UTC, inclusive, compared with `started_at`. */
  since?: string;
  /** ISO 8601 UTC, exclusive. */
  until?: string;
}

/** A run that finished, as `RunHistory.onFinished` listeners see it. */
export interface FinishedRun {
  actionType: string;
  status: RunStatus;
  durationMs: number;
}

type Raw = Omit<ActionRunRecord, 'trigger' | 'inputs' | 'outputs'> & {
  trigger: string;
  inputs: string;
  outputs: string;
};

function hydrate(r: Raw): ActionRunRecord {
  return {
    ...r,
    trigger: JSON.parse(r.trigger),
    inputs: JSON.parse(r.inputs),
    outputs: JSON.parse(r.outputs),
  };
}

/** Listings: newest first; a filter field that is unset or empty does not filter. */
const LISTING: FilteredTable<RunFilter> = {
  table: 'action_runs',
  orderBy: 'started_at DESC, rowid DESC',
  columns: [
    ['actionId', 'action_id'],
    ['callId', 'call_id'],
    ['agentId', 'agent_id'],
    ['status', 'status'],
  ],
};

const INSERT_RUN = `INSERT INTO action_runs (id, action_id, attachment_id, call_id, agent_id, action_type, stage, trigger,
    inputs, status, started_at)
  VALUES (@id, @action_id, @attachment_id, @call_id, @agent_id, @action_type, @stage, @trigger, @inputs, @status,
    @started_at)`;
const FINISH_RUN = `UPDATE action_runs SET status = @status, outputs = @outputs, attempts = @attempts, error = @error,
    finished_at = @finished_at, duration_ms = @duration_ms WHERE id = @id RETURNING action_type`;
const ATTEMPT_RUN = `UPDATE action_runs SET status = @status, attempts = @attempts, error = @error,
    inputs = coalesce(@inputs, inputs) WHERE id = @id`;
const RUN_BY_ID = 'SELECT * FROM action_runs WHERE id = ?';
const DURATIONS = `SELECT duration_ms FROM action_runs WHERE action_id = ? AND status IN ('succeeded','failed')
  AND duration_ms IS NOT NULL ORDER BY duration_ms`;
// CASE rather than sum(boolean): PostgreSQL does not add booleans.
const COUNTS = `SELECT count(*) AS runs, sum(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) AS ok,
    sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed
  FROM action_runs WHERE action_id = ? AND status IN ('succeeded','failed')`;

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (!sorted.length) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/** The execution history (`action_runs`): one row per run, inputs stored with PII redacted. */
export class RunHistory {
  private readonly listeners: Array<(run: FinishedRun) => void> = [];

  constructor(
    private readonly sql: SqlDatabase,
    /** Told of each run of a call as it is written (live views of the call). */
    private readonly feed?: CallFeed,
  ) {}

  async start(run: RunStart): Promise<string> {
    const id = newId('run');
    await this.sql.run(INSERT_RUN, {
      id,
      action_id: run.actionId,
      attachment_id: run.attachmentId ?? null,
      call_id: run.callId ?? null,
      agent_id: run.agentId ?? null,
      action_type: run.actionType,
      stage: run.stage,
      trigger: JSON.stringify(run.trigger ?? {}),
      inputs: JSON.stringify(redactPii(run.inputs ?? {})),
      status: run.status ?? 'running',
      started_at: nowIso(),
    });
    if (run.callId) await this.published(id);
    return id;
  }

  /** The run as now stored, to the change feed when someone listens (one read, only then). */
  private async published(id: string): Promise<void> {
    if (!this.feed?.listening) return;
    const run = await this.get(id);
    if (run?.call_id) this.feed.publish({ kind: 'run', call_id: run.call_id, run: { ...run } });
  }

  /** Records progress of a run that is still going (queued retries of after-call actions). */
  async attempt(
    id: string,
    status: RunStatus,
    attempts: number,
    error: string | null,
    inputs?: unknown,
  ): Promise<void> {
    await this.sql.run(ATTEMPT_RUN, {
      id,
      status,
      attempts,
      error,
      inputs: inputs === undefined ? null : JSON.stringify(redactPii(inputs)),
    });
    await this.published(id);
  }

  /** Tells `listener` of every run that finishes (metrics); called after the row is written. */
  onFinished(listener: (run: FinishedRun) => void): void {
    this.listeners.push(listener);
  }

  async finish(
    id: string,
    result: {
      status: RunStatus;
      outputs?: unknown;
      attempts: number;
      error?: string | null;
      durationMs: number;
    },
  ): Promise<void> {
    // RETURNING gives the run's type from the same statement: no second query for the listeners.
    const row = await this.sql.get<{ action_type: string }>(FINISH_RUN, {
      id,
      status: result.status,
      outputs: JSON.stringify(result.outputs ?? {}),
      attempts: result.attempts,
      error: result.error ?? null,
      finished_at: nowIso(),
      duration_ms: Math.round(result.durationMs),
    });
    if (!row) return;
    await this.published(id);
    for (const listener of this.listeners)
      listener({ actionType: row.action_type, status: result.status, durationMs: result.durationMs });
  }

  async get(id: string): Promise<ActionRunRecord | undefined> {
    const r = await this.sql.get<Raw>(RUN_BY_ID, [id]);
    return r ? hydrate(r) : undefined;
  }

  /** A page of runs, newest first, with the count of every run the filter matches. */
  async list(filter: RunFilter = {}): Promise<Page<ActionRunRecord>> {
    return filteredPage(this.sql, LISTING, filter, hydrate);
  }

  /**
   * `stats` for every definition with finished runs in the window, in one pass over the runs: the rows
   * come sorted by definition then duration, so each group's percentiles are read off in place.
   */
  async statsByAction(window: StatsWindow = {}): Promise<Map<string, ActionStats>> {
    const where = ["status IN ('succeeded','failed')", 'action_id IS NOT NULL'];
    const params: Record<string, string> = {};
    const add = (key: keyof StatsWindow, clause: string): void => {
      if (!window[key]) return;
      where.push(clause);
      params[key] = window[key];
    };
    add('agentId', 'agent_id = @agentId');
    add('since', 'started_at >= @since');
    add('until', 'started_at < @until');
    const rows = await this.sql.all<{ action_id: string; status: RunStatus; duration_ms: number | null }>(
      `SELECT action_id, status, duration_ms FROM action_runs WHERE ${where.join(' AND ')}
       ORDER BY action_id, duration_ms`,
      params,
    );
    const groups = new Map<string, typeof rows>();
    for (const r of rows) {
      const g = groups.get(r.action_id) ?? [];
      g.push(r);
      groups.set(r.action_id, g);
    }
    const out = new Map<string, ActionStats>();
    for (const [actionId, runs] of groups) {
      const ok = runs.filter((r) => r.status === 'succeeded').length;
      const d = runs.flatMap((r) => (r.duration_ms === null ? [] : [r.duration_ms]));
      out.set(actionId, {
        action_id: actionId,
        runs: runs.length,
        succeeded: ok,
        failed: runs.length - ok,
        success_rate: ok / runs.length,
        p50_ms: percentile(d, 50),
        p95_ms: percentile(d, 95),
      });
    }
    return out;
  }

  /** Runs, success rate and p50/p95 duration over finished runs (succeeded or failed) of a definition. */
  async stats(actionId: string): Promise<ActionStats> {
    const c = await this.sql.get<{ runs: number; ok: number | null; failed: number | null }>(COUNTS, [
      actionId,
    ]);
    const d = (await this.sql.all<{ duration_ms: number }>(DURATIONS, [actionId])).map((r) => r.duration_ms);
    const runs = Number(c?.runs ?? 0);
    const ok = Number(c?.ok ?? 0);
    return {
      action_id: actionId,
      runs,
      succeeded: ok,
      failed: Number(c?.failed ?? 0),
      success_rate: runs ? ok / runs : null,
      p50_ms: percentile(d, 50),
      p95_ms: percentile(d, 95),
    };
  }
}
