import { useMemo, useState } from 'preact/hooks';
import { withQuery } from '../api.js';
import { useApi } from '../components/use-api.js';
import { ApiErrorBox } from '../components/api-errors.js';
import { BarChart } from '../components/bar-chart.js';
import { millis, percent } from '../components/format.js';
import type { ActionStatsItem } from './actions.js';

interface Overview {
  since: string;
  until: string;
  calls: number;
  calls_per_hour: Array<{ hour: string; calls: number }>;
  outcomes: Array<{ outcome: string; calls: number }>;
  actions: ActionStatsItem[];
}

const WINDOWS = [
  { hours: 24, label: 'Last 24 hours' },
  { hours: 72, label: 'Last 3 days' },
  { hours: 168, label: 'Last 7 days' },
];

/** `2026-06-01T10:00:00.000Z` → `2026-06-01 10:00` (UTC, as the API counts). */
const hourLabel = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;

/** Calls per hour, outcomes, action success rates and latencies from `GET /stats/overview`. */
export function OverviewPage() {
  const [hours, setHours] = useState(24);
  // The window is fixed when chosen, so re-renders do not refetch a moving "now".
  const path = useMemo(() => {
    const until = new Date();
    until.setUTCMinutes(0, 0, 0);
    until.setUTCHours(until.getUTCHours() + 1);
    const since = new Date(until.getTime() - hours * 3_600_000);
    return withQuery('/stats/overview', { since: since.toISOString(), until: until.toISOString() });
  }, [hours]);
  const { data, error, loading } = useApi<Overview>(path);
  const ran = data?.actions.filter((a) => a.runs > 0) ?? [];
  return (
    <section>
      <div class="page-head">
        <h1>Overview</h1>
        <label class="inline">
          Window{' '}
          <select
            value={String(hours)}
            onChange={(e) => setHours(Number((e.target as HTMLSelectElement).value))}
          >
            {WINDOWS.map((w) => (
              <option key={w.hours} value={String(w.hours)}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ApiErrorBox error={error} />
      {loading && !data && <p class="muted">Loading…</p>}
      {data && (
        <>
          <p class="muted">
            {data.calls} {data.calls === 1 ? 'call' : 'calls'} from {hourLabel(data.since)} to{' '}
            {hourLabel(data.until)} UTC.
          </p>
          <div class="chart-grid">
            <BarChart
              id="calls-per-hour"
              title="Calls per hour"
              desc={`Calls started in each UTC hour; ${data.calls} in all, at most ${Math.max(0, ...data.calls_per_hour.map((h) => h.calls))} in one hour.`}
              columns
              labelHeading="Hour (UTC)"
              valueHeading="Calls"
              bars={data.calls_per_hour.map((h) => ({
                label: hourLabel(h.hour),
                value: h.calls,
                text: String(h.calls),
              }))}
            />
            <BarChart
              id="outcomes"
              title="Outcomes"
              desc={`Calls by outcome: ${data.outcomes.map((o) => `${o.outcome} ${o.calls}`).join(', ') || 'none'}.`}
              labelHeading="Outcome"
              valueHeading="Calls"
              bars={data.outcomes.map((o) => ({ label: o.outcome, value: o.calls, text: String(o.calls) }))}
            />
            <BarChart
              id="action-success"
              title="Action success rate"
              desc="Share of finished runs of each action that succeeded, in percent."
              labelHeading="Action"
              valueHeading="Success rate (runs)"
              max={1}
              bars={ran.map((a) => ({
                label: a.name,
                value: a.success_rate ?? 0,
                text: `${percent(a.success_rate)} (${a.runs})`,
              }))}
            />
            <BarChart
              id="action-latency"
              title="Action latency, p95"
              desc="95th percentile of each action's run duration, in milliseconds."
              labelHeading="Action"
              valueHeading="p95 (p50)"
              bars={ran.map((a) => ({
                label: a.name,
                value: a.p95_ms ?? 0,
                text: `${millis(a.p95_ms)} (${millis(a.p50_ms)})`,
              }))}
            />
          </div>
        </>
      )}
    </section>
  );
}
