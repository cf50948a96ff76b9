import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError } from '../api.js';
import { linkHandler } from '../router.js';
import { asApiError, useApi } from '../components/use-api.js';
import { ApiErrorBox } from '../components/api-errors.js';
import { JsonField, jsonError, parseJson } from '../components/json-field.js';
import { TextField } from '../components/text-field.js';
import type { Agent } from './agents.js';
import { AttachmentsPanel } from './agent/attachments-panel.js';
import { FormSubmit } from '../components/form-submit.js';

/** One agent: its actions per stage, and its settings (PATCH /agents/{id}). */
export function AgentPage({ id }: { id: string }) {
  const agent = useApi<Agent>(`/agents/${encodeURIComponent(id)}`);
  return (
    <section>
      <p class="crumbs">
        <a {...linkHandler('/agents')}>← Agents</a>
      </p>
      <div class="page-head">
        <h1>Agent {agent.data?.name ?? id}</h1>
        {/* The browser phone's page: its Call button shows the API's reason when the phone is off. */}
        <a class="button primary" {...linkHandler(`/agents/${encodeURIComponent(id)}/phone`)}>
          Talk to this agent
        </a>
      </div>
      <ApiErrorBox error={agent.error} />
      {agent.data && <AttachmentsPanel agentId={agent.data.id} />}
      {agent.data && <AgentSettings agent={agent.data} onSaved={agent.set} />}
    </section>
  );
}

const TEXT_FIELDS = [
  { key: 'name', label: 'Name' },
  { key: 'language', label: 'Language (BCP 47)' },
  { key: 'voice', label: 'Voice' },
  { key: 'description', label: 'Description' },
] as const;
const JSON_FIELDS = [
  { key: 'config', label: 'Config (JSON)', rows: 10 },
  { key: 'targets', label: 'Transfer targets (JSON)', rows: 5 },
  { key: 'speech', label: 'Speech (JSON)', rows: 5 },
] as const;
type Draft = Record<(typeof TEXT_FIELDS)[number]['key'] | (typeof JSON_FIELDS)[number]['key'], string>;

function draftOf(agent: Agent): Draft {
  const json = (v: unknown): string => JSON.stringify(v, null, 2);
  return {
    name: agent.name,
    language: agent.language,
    voice: agent.voice,
    description: agent.description,
    config: json(agent.config),
    targets: json(agent.targets),
    speech: json(agent.speech),
  };
}

/** The PATCH body: the text fields, and only the JSON parts that changed (an untouched part is not re-validated). */
function patchOf(agent: Agent, draft: Draft): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const { key } of TEXT_FIELDS) body[key] = draft[key];
  for (const { key } of JSON_FIELDS) {
    const value = parseJson(draft[key]);
    if (JSON.stringify(value) !== JSON.stringify(agent[key])) body[key] = value;
  }
  return body;
}

function AgentSettings({ agent, onSaved }: { agent: Agent; onSaved: (a: Agent) => void }) {
  const [draft, setDraft] = useState(() => draftOf(agent));
  const [error, setError] = useState<ApiError>();
  const [saved, setSaved] = useState(false);
  useEffect(() => setDraft(draftOf(agent)), [agent]);
  const set = (key: keyof Draft) => (value: string) => setDraft((d) => ({ ...d, [key]: value }));

  async function save(e: Event): Promise<void> {
    e.preventDefault();
    setError(undefined);
    setSaved(false);
    try {
      onSaved(await api<Agent>('PATCH', `/agents/${encodeURIComponent(agent.id)}`, patchOf(agent, draft)));
      setSaved(true);
    } catch (err) {
      setError(asApiError(err));
    }
  }

  const bad = JSON_FIELDS.some(({ key }) => jsonError(draft[key]) !== undefined);
  return (
    <form class="panel form" onSubmit={save} noValidate aria-labelledby="agent-settings-title">
      <h2 id="agent-settings-title">Settings</h2>
      <p class="muted">
        Kind <strong>{agent.kind}</strong> · id <code>{agent.id}</code>
      </p>
      <div class="form-grid">
        {TEXT_FIELDS.map(({ key, label }) => (
          <TextField
            key={key}
            id={`agent-${key}`}
            label={label}
            value={draft[key]}
            onInput={set(key)}
            field={`body.${key}`}
            error={error}
          />
        ))}
      </div>
      {JSON_FIELDS.map(({ key, label, rows }) => (
        <JsonField
          key={key}
          id={`agent-${key}`}
          label={label}
          value={draft[key]}
          onInput={set(key)}
          field={`body.${key}`}
          error={error}
          rows={rows}
        />
      ))}
      <FormSubmit label="Save settings" disabled={bad} saved={saved} error={error} />
    </form>
  );
}
