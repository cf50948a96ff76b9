import type { Page } from '../api.js';
import { linkHandler } from '../router.js';
import { useApi } from '../components/use-api.js';
import { ApiErrorBox } from '../components/api-errors.js';

export interface Agent {
  id: string;
  name: string;
  kind: string;
  description: string;
  language: string;
  voice: string;
  config: Record<string, unknown>;
  targets: Record<string, unknown>;
  speech: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

/** Every agent, linking to its settings and actions. */
export function AgentsPage() {
  const { data, error } = useApi<Page<Agent>>('/agents?limit=500');
  return (
    <section>
      <h1>Agents</h1>
      <ApiErrorBox error={error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Language</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>
          {data?.items.map((a) => (
            <tr key={a.id}>
              <td>
                <a {...linkHandler(`/agents/${encodeURIComponent(a.id)}`)}>{a.name}</a>
              </td>
              <td>{a.kind}</td>
              <td>{a.language}</td>
              <td>{a.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data?.items.length === 0 && (
        <p class="muted">
          No agents yet: <code>callwright agents import FILE</code> or <code>POST /agents</code> makes one.
        </p>
      )}
    </section>
  );
}
