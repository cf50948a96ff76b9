import type { Page } from '../../api.js';
import { linkHandler } from '../../router.js';
import { useApi } from '../../components/use-api.js';
import { ApiErrorBox } from '../../components/api-errors.js';
import { formatDateTime, millis, percent } from '../../components/format.js';
import { StatusBadge } from '../../components/status-badge.js';

interface Run {
  id: string;
  call_id: string | null;
  stage: string | null;
  status: string;
  attempts: number;
  error: string | null;
  started_at: string;
  duration_ms: number | null;
}
interface Stats {
  runs: number;
  success_rate: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
}

/** A definition's figures (`GET /actions/{id}/stats`) and its latest runs (`GET /action-runs?action_id=`). */
export function RecentRuns({ actionId }: { actionId: string }) {
  const id = encodeURIComponent(actionId);
  const stats = useApi<Stats>(`/actions/${id}/stats`);
  const runs = useApi<Page<Run>>(`/action-runs?action_id=${id}&limit=10`);
  const s = stats.data;
  return (
    <section class="panel" aria-labelledby="runs-title">
      <h2 id="runs-title">Runs</h2>
      <ApiErrorBox error={stats.error ?? runs.error} />
      {s && (
        <p>
          {s.runs} finished {s.runs === 1 ? 'run' : 'runs'} · success {percent(s.success_rate)} · p50{' '}
          {millis(s.p50_ms)} · p95 {millis(s.p95_ms)}
        </p>
      )}
      {runs.data && runs.data.items.length > 0 && (
        <table>
          <caption class="visually-hidden">The latest runs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Call</th>
              <th scope="col">Stage</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Duration</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {runs.data.items.map((r) => (
              <tr key={r.id}>
                <td>{formatDateTime(r.started_at)}</td>
                <td>
                  {r.call_id ? (
                    <a {...linkHandler(`/calls/${encodeURIComponent(r.call_id)}`)}>{r.call_id}</a>
                  ) : (
                    '–'
                  )}
                </td>
                <td>{r.stage ?? '–'}</td>
                <td>
                  <StatusBadge kind="status" value={r.status} />
                </td>
                <td>{r.attempts}</td>
                <td>{millis(r.duration_ms)}</td>
                <td class="error-text">{r.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
