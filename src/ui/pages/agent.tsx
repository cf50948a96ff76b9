import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError } from '../api.js';
import { linkHandler } from '../router.js';
import { asApiError, useApi } from '../components/use-api.js';
import { ApiErrorBox } from '../components/api-errors.js';
import { JsonField, jsonError, parseJson } from '../components/json-field.js';
import { TextField } from '../components/text-field.js';
import type { Agent } from './agents.js';
import { AttachmentsPanel } from './agent/attachments-panel.js';

/** One agent: its settings (PATCH /agents/{id}) and its actions per stage. */
export function AgentPage({ id }: { id: string }) {
  const agent = useApi<Agent>(`/agents/${encodeURIComponent(id)}`);
  return (
    <section>
      <p>
        <a {...linkHandler('/agents')}>← Agents</a>
      </p>
      <h1>Agent {agent.data?.name ?? id}</h1>
      <ApiErrorBox error={agent.error} />
      {agent.data && <AttachmentsPanel agentId={agent.data.id} />}
      {agent.data && <AgentSettings agent={agent.data} onSaved={agent.set} />}
    </section>
  );
}

function AgentSettings({ agent, onSaved }: { agent: Agent; onSaved: (a: Agent) => void }) {
  const [name, setName] = useState(agent.name);
  const [description, setDescription] = useState(agent.description);
  const [language, setLanguage] = useState(agent.language);
  const [voice, setVoice] = useState(agent.voice);
  const [config, setConfig] = useState('');
  const [targets, setTargets] = useState('');
  const [speech, setSpeech] = useState('');
  const [error, setError] = useState<ApiError>();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    setConfig(JSON.stringify(agent.config, null, 2));
    setTargets(JSON.stringify(agent.targets, null, 2));
    setSpeech(JSON.stringify(agent.speech, null, 2));
  }, [agent]);

  async function save(e: Event): Promise<void> {
    e.preventDefault();
    setError(undefined);
    setSaved(false);
    try {
      const body: Record<string, unknown> = { name, description, language, voice };
      // Only the JSON parts that changed are sent, so an untouched part is never re-validated.
      const changed = (text: string, was: unknown): boolean =>
        JSON.stringify(parseJson(text)) !== JSON.stringify(was);
      if (changed(config, agent.config)) body.config = parseJson(config);
      if (changed(targets, agent.targets)) body.targets = parseJson(targets);
      if (changed(speech, agent.speech)) body.speech = parseJson(speech);
      onSaved(await api<Agent>('PATCH', `/agents/${encodeURIComponent(agent.id)}`, body));
      setSaved(true);
    } catch (err) {
      setError(asApiError(err));
    }
  }

  const bad = [config, targets, speech].some((t) => jsonError(t) !== undefined);
  return (
    <form class="panel form" onSubmit={save} noValidate aria-labelledby="agent-settings-title">
      <h2 id="agent-settings-title">Settings</h2>
      <p class="muted">
        Kind <strong>{agent.kind}</strong> · id <code>{agent.id}</code>
      </p>
      <div class="form-row">
        <TextField
          id="agent-name"
          label="Name"
          value={name}
          onInput={setName}
          field="body.name"
          error={error}
          required
        />
        <TextField
          id="agent-language"
          label="Language (BCP 47)"
          value={language}
          onInput={setLanguage}
          field="body.language"
          error={error}
        />
        <TextField
          id="agent-voice"
          label="Voice"
          value={voice}
          onInput={setVoice}
          field="body.voice"
          error={error}
        />
      </div>
      <TextField
        id="agent-description"
        label="Description"
        value={description}
        onInput={setDescription}
        field="body.description"
        error={error}
      />
      <JsonField
        id="agent-config"
        label="Config (JSON)"
        value={config}
        onInput={setConfig}
        field="body.config"
        error={error}
        rows={10}
      />
      <div class="form-row">
        <JsonField
          id="agent-targets"
          label="Transfer targets (JSON)"
          value={targets}
          onInput={setTargets}
          field="body.targets"
          error={error}
          rows={5}
        />
        <JsonField
          id="agent-speech"
          label="Speech (JSON)"
          value={speech}
          onInput={setSpeech}
          field="body.speech"
          error={error}
          rows={5}
        />
      </div>
      <button type="submit" class="primary" disabled={bad}>
        Save settings
      </button>
      {saved && (
        <span class="ok-text" role="status">
          {' '}
          Saved.
        </span>
      )}
      <ApiErrorBox error={error} />
    </form>
  );
}
