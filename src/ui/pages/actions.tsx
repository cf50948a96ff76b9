import { useState } from 'preact/hooks';
import { api, type ApiError, type Page } from '../api.js';
import { linkHandler } from '../router.js';
import { asApiError, useApi } from '../components/use-api.js';
import { ApiErrorBox } from '../components/api-errors.js';
import { millis, percent } from '../components/format.js';
import { EnabledBadge } from '../components/status-badge.js';

export interface ActionDefinition {
  id: string;
  name: string;
  type: string;
  description: string;
  config: Record<string, unknown>;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

/** A row of `GET /actions/stats`. */
export interface ActionStatsItem {
  action_id: string;
  name: string;
  type: string;
  enabled: boolean;
  runs: number;
  succeeded: number;
  failed: number;
  success_rate: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
}

/** Action definitions with their run statistics; enable or disable one; links to create and edit. */
export function ActionsPage() {
  const defs = useApi<Page<ActionDefinition>>('/actions?limit=500');
  const stats = useApi<{ items: ActionStatsItem[] }>('/actions/stats');
  const [error, setError] = useState<ApiError>();
  const byId = new Map(stats.data?.items.map((s) => [s.action_id, s]));

  async function toggle(def: ActionDefinition): Promise<void> {
    setError(undefined);
    try {
      await api('PATCH', `/actions/${def.id}`, { enabled: !def.enabled });
      defs.reload();
    } catch (err) {
      setError(asApiError(err));
    }
  }

  return (
    <section>
      <div class="page-head">
        <h1>Actions</h1>
        <a class="button primary" {...linkHandler('/actions/new')}>
          New action
        </a>
      </div>
      <p class="muted">
        Reusable definitions; attach them to agents on an agent's page. Statistics cover every finished run.
      </p>
      <ApiErrorBox error={defs.error ?? stats.error ?? error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Runs</th>
            <th scope="col">Success</th>
            <th scope="col">p95</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {defs.data?.items.map((d) => {
            const s = byId.get(d.id);
            return (
              <tr key={d.id}>
                <td>
                  <a {...linkHandler(`/actions/${encodeURIComponent(d.id)}`)}>{d.name}</a>
                  {d.description && <div class="muted small">{d.description}</div>}
                </td>
                <td>{d.type}</td>
                <td>{s?.runs ?? 0}</td>
                <td>{percent(s?.success_rate ?? null)}</td>
                <td>{millis(s?.p95_ms ?? null)}</td>
                <td>
                  <EnabledBadge enabled={d.enabled} />{' '}
                  <button
                    type="button"
                    onClick={() => void toggle(d)}
                    aria-label={`${d.enabled ? 'Disable' : 'Enable'} ${d.name}`}
                  >
                    {d.enabled ? 'Disable' : 'Enable'}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {defs.data?.items.length === 0 && <p class="muted">No action definitions yet.</p>}
    </section>
  );
}
