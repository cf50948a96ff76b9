import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import type { ActionStats, RunHistory } from '../../actions/run-history.js';
import type { Store } from '../../store/store.js';
import type { FieldIssue } from '../../errors.js';
import { invalid } from './crud.js';
import { errorResponses, Nullable } from '../schemas/common.js';

const HOUR_MS = 3_600_000;
/** The overview's window: a day unless told, at most 31 days of hourly buckets. */
const DEFAULT_SPAN_MS = 24 * HOUR_MS;
const MAX_SPAN_MS = 31 * 24 * HOUR_MS;

const Instant = (description: string) => Type.String({ format: 'date-time', description });

const ActionStatsQuery = Type.Object(
  {
    agent: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Agent id or name' })),
    since: Type.Optional(Instant('Runs started at or after this instant (ISO 8601)')),
    until: Type.Optional(Instant('Runs started before this instant (ISO 8601)')),
  },
  { additionalProperties: false },
);
const OverviewQuery = Type.Object(
  {
    since: Type.Optional(Instant('Start of the window (ISO 8601); default: 24 hours before until')),
    until: Type.Optional(Instant('End of the window (ISO 8601), exclusive; default: now')),
  },
  { additionalProperties: false },
);

const ActionStatsItem = Type.Object({
  action_id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  enabled: Type.Boolean(),
  runs: Type.Integer({ description: 'finished runs (succeeded or failed) in the window' }),
  succeeded: Type.Integer(),
  failed: Type.Integer(),
  success_rate: Nullable(Type.Number({ description: 'succeeded / runs; null without runs' })),
  p50_ms: Nullable(Type.Integer()),
  p95_ms: Nullable(Type.Integer({ description: 'nearest-rank 95th percentile of the run durations' })),
});
const ActionStatsPage = Type.Object({ items: Type.Array(ActionStatsItem) });
const Overview = Type.Object({
  since: Type.String(),
  until: Type.String(),
  calls: Type.Integer({ description: 'calls started in the window' }),
  calls_per_hour: Type.Array(
    Type.Object({ hour: Type.String({ description: 'start of the UTC hour' }), calls: Type.Integer() }),
  ),
  outcomes: Type.Array(
    Type.Object({
      outcome: Type.String({ description: '"in progress" for calls not ended' }),
      calls: Type.Integer(),
    }),
  ),
  actions: Type.Array(ActionStatsItem),
});

type ActionStatsItem = typeof ActionStatsItem.static;

/** Turns an ISO instant into the store's form (UTC, milliseconds), so text comparison orders it. */
const canonical = (iso: string): string => new Date(iso).toISOString();

function windowIssues(since: string | undefined, until: string | undefined, maxMs?: number): FieldIssue[] {
  if (!since || !until) return [];
  const span = Date.parse(until) - Date.parse(since);
  if (span <= 0)
    return [{ field: 'query.since', value: since, expected: `an instant before until (${until})` }];
  if (maxMs !== undefined && span > maxMs)
    return [{ field: 'query.since', value: since, expected: `at most 31 days before until (${until})` }];
  return [];
}

const AGENT_DEFINITIONS = `SELECT DISTINCT d.id, d.name, d.type, d.enabled FROM action_definitions d
  JOIN agent_actions a ON a.action_id = d.id WHERE a.agent_id = ? ORDER BY d.name`;
const ALL_DEFINITIONS = 'SELECT id, name, type, enabled FROM action_definitions ORDER BY name';
const CALLS_BY_HOUR = `SELECT substr(started_at, 1, 13) AS hour, count(*) AS calls FROM calls
  WHERE started_at >= ? AND started_at < ? GROUP BY substr(started_at, 1, 13)`;
const CALLS_BY_OUTCOME = `SELECT coalesce(outcome, CASE WHEN ended_at IS NULL THEN 'in progress' ELSE 'unknown' END)
    AS outcome, count(*) AS calls
  FROM calls WHERE started_at >= ? AND started_at < ?
  GROUP BY 1 ORDER BY 2 DESC, 1`;

type DefinitionRow = { id: string; name: string; type: string; enabled: number };

/** Each definition (all, or those attached to one agent) with its run statistics in the window. */
async function actionStatsItems(
  store: Store,
  history: RunHistory,
  window: { agentId?: string; since?: string; until?: string },
): Promise<ActionStatsItem[]> {
  const stats = await history.statsByAction(window);
  const defs = window.agentId
    ? await store.sql.all<DefinitionRow>(AGENT_DEFINITIONS, [window.agentId])
    : await store.sql.all<DefinitionRow>(ALL_DEFINITIONS);
  return defs.map((d) => {
    const s: ActionStats = stats.get(d.id) ?? {
      action_id: d.id,
      runs: 0,
      succeeded: 0,
      failed: 0,
      success_rate: null,
      p50_ms: null,
      p95_ms: null,
    };
    return { ...s, action_id: d.id, name: d.name, type: d.type, enabled: d.enabled === 1 };
  });
}

/** Calls in the window by UTC hour (every hour present, zero when quiet) and by outcome. */
async function callCounts(store: Store, since: string, until: string) {
  const hours = await store.sql.all<{ hour: string; calls: number }>(CALLS_BY_HOUR, [since, until]);
  const byHour = new Map(hours.map((h) => [h.hour, h.calls]));
  const perHour: Array<{ hour: string; calls: number }> = [];
  for (let t = Math.floor(Date.parse(since) / HOUR_MS) * HOUR_MS; t < Date.parse(until); t += HOUR_MS) {
    const hour = new Date(t).toISOString();
    perHour.push({ hour, calls: byHour.get(hour.slice(0, 13)) ?? 0 });
  }
  const outcomes = await store.sql.all<{ outcome: string; calls: number }>(CALLS_BY_OUTCOME, [since, until]);
  return { perHour, outcomes, total: outcomes.reduce((n, o) => n + o.calls, 0) };
}

/** Aggregates for the dashboard: per-action statistics and the overview's calls and actions. */
export function statsRoutes(app: FastifyInstance, { store, actionEngine }: ApiDeps): void {
  const history = actionEngine.history;
  app.get(
    '/actions/stats',
    {
      schema: {
        tags: ['actions'],
        summary: 'Runs, success rate and p50/p95 duration of every definition (or one agent’s), in a window',
        querystring: ActionStatsQuery,
        response: { 200: ActionStatsPage, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query as { agent?: string; since?: string; until?: string };
      const issues = windowIssues(q.since, q.until);
      const agent = q.agent ? await store.agents.byIdOrName(q.agent) : undefined;
      if (q.agent && !agent)
        issues.push({ field: 'query.agent', value: q.agent, expected: 'the id or name of an agent' });
      if (issues.length) throw invalid(issues);
      return {
        items: await actionStatsItems(store, history, {
          ...(agent ? { agentId: agent.id } : {}),
          ...(q.since ? { since: canonical(q.since) } : {}),
          ...(q.until ? { until: canonical(q.until) } : {}),
        }),
      };
    },
  );
  app.get(
    '/stats/overview',
    {
      schema: {
        tags: ['stats'],
        summary: 'Calls per hour, outcomes and action statistics over a window (default: the last 24 hours)',
        querystring: OverviewQuery,
        response: { 200: Overview, ...errorResponses },
      },
    },
    async (req) => {
      const q = req.query as { since?: string; until?: string };
      const until = canonical(q.until ?? new Date().toISOString());
      const since = canonical(q.since ?? new Date(Date.parse(until) - DEFAULT_SPAN_MS).toISOString());
      const issues = windowIssues(since, until, MAX_SPAN_MS);
      if (issues.length) throw invalid(issues);
      const calls = await callCounts(store, since, until);
      return {
        since,
        until,
        calls: calls.total,
        calls_per_hour: calls.perHour,
        outcomes: calls.outcomes,
        actions: await actionStatsItems(store, history, { since, until }),
      };
    },
  );
}
