import { linkHandler } from '../router.js';
import { useApi } from '../components/use-api.js';
import { ApiErrorBox } from '../components/api-errors.js';
import { PhonePanel } from '../phone/phone-panel.js';
import type { Agent } from './agents.js';

/** `/agents/:id/phone`: the browser phone for one agent, reached by "Talk to this agent" on its page. */
export function AgentPhonePage({ agentId }: { agentId: string }) {
  const agent = useApi<Agent>(`/agents/${encodeURIComponent(agentId)}`);
  const name = agent.data?.name;
  return (
    <section>
      <p class="crumbs">
        <a {...linkHandler(`/agents/${encodeURIComponent(agentId)}`)}>← Agent {name ?? agentId}</a>
      </p>
      <h1>{name ? `Call ${name}` : 'Call an agent'}</h1>
      <ApiErrorBox error={agent.error} />
      {agent.data && <PhonePanel agentId={agent.data.id} />}
    </section>
  );
}
