import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { PhonePanel } from '../phone/phone-panel.js';

interface AgentSummary {
  id: string;
  name: string;
}

/** `/agents/:id/phone`: a page holding the browser phone for one agent (linked from the agent's page). */
export function AgentPhonePage({ agentId }: { agentId: string }) {
  const [agent, setAgent] = useState<AgentSummary>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api<AgentSummary>('GET', `/agents/${encodeURIComponent(agentId)}`).then(setAgent, (err: unknown) =>
      setError(err instanceof ApiError ? err.message : String(err)),
    );
  }, [agentId]);
  return (
    <section class="phone-page">
      <h1>{agent ? `Call ${agent.name}` : 'Call an agent'}</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {agent && <PhonePanel agentId={agent.id} />}
    </section>
  );
}
