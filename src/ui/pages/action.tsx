import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError } from '../api.js';
import { linkHandler, navigate } from '../router.js';
import { asApiError, useApi } from '../components/use-api.js';
import { ApiErrorBox, FieldIssues, issuesFor } from '../components/api-errors.js';
import { JsonField, jsonError, parseJson } from '../components/json-field.js';
import { TextField } from '../components/text-field.js';
import type { ActionDefinition } from './actions.js';
import { RecentRuns } from './actions/recent-runs.js';
import { FormSubmit } from '../components/form-submit.js';

interface ActionType {
  name: string;
  title: string;
  description: string;
  stages: string[];
  config_schema: { properties?: Record<string, unknown>; required?: string[] };
}

/**
 * Create (`/actions/new`) or edit (`/actions/:id`) a definition. The config is sent as typed; the API
 * validates it with the type's schema and rules and its field issues are shown under the fields.
 */
export function ActionPage({ id }: { id?: string }) {
  const types = useApi<{ items: ActionType[] }>('/action-types');
  const existing = useApi<ActionDefinition>(id ? `/actions/${encodeURIComponent(id)}` : undefined);
  const [name, setName] = useState('');
  const [type, setType] = useState('');
  const [description, setDescription] = useState('');
  const [config, setConfig] = useState('{}');
  const [enabled, setEnabled] = useState(true);
  const [error, setError] = useState<ApiError>();
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    const d = existing.data;
    if (!d) return;
    setName(d.name);
    setType(d.type);
    setDescription(d.description);
    setConfig(JSON.stringify(d.config, null, 2));
    setEnabled(d.enabled);
  }, [existing.data]);

  async function save(e: Event): Promise<void> {
    e.preventDefault();
    setError(undefined);
    setSaved(false);
    try {
      const body = { name, type, description, config: parseJson(config) ?? {}, enabled };
      if (id) {
        existing.set(await api<ActionDefinition>('PATCH', `/actions/${encodeURIComponent(id)}`, body));
        setSaved(true);
      } else {
        const created = await api<ActionDefinition>('POST', '/actions', body);
        navigate(`/actions/${encodeURIComponent(created.id)}`);
      }
    } catch (err) {
      setError(asApiError(err));
    }
  }

  return (
    <section>
      <p class="crumbs">
        <a {...linkHandler('/actions')}>← Actions</a>
      </p>
      <h1>{id ? `Action ${existing.data?.name ?? ''}` : 'New action'}</h1>
      <ApiErrorBox error={existing.error ?? types.error} />
      <form class="panel form" onSubmit={save} noValidate>
        <TextField
          id="action-name"
          label="Name"
          value={name}
          onInput={setName}
          field="name"
          error={error}
          required
        />
        <TypeField types={types.data?.items ?? []} value={type} onChange={setType} error={error} />
        <TextField
          id="action-description"
          label="Description"
          value={description}
          onInput={setDescription}
          field="description"
          error={error}
        />
        <JsonField
          id="action-config"
          label="Config (JSON)"
          value={config}
          onInput={setConfig}
          field="config"
          error={error}
          rows={10}
        />
        <div class="field checkbox">
          <input
            id="action-enabled"
            type="checkbox"
            checked={enabled}
            onChange={(e) => setEnabled((e.target as HTMLInputElement).checked)}
          />
          <label for="action-enabled">Enabled (a disabled action never runs, on any agent)</label>
        </div>
        <FormSubmit
          label={id ? 'Save' : 'Create'}
          disabled={jsonError(config) !== undefined}
          saved={saved}
          error={error}
        />
      </form>
      {id && existing.data && <RecentRuns actionId={existing.data.id} />}
    </section>
  );
}

/** The type of a definition, with what the chosen type does, where it runs and its config fields. */
function TypeField(props: {
  types: ActionType[];
  value: string;
  onChange: (type: string) => void;
  error: ApiError | undefined;
}) {
  const issues = issuesFor(props.error, 'type');
  const chosen = props.types.find((t) => t.name === props.value);
  const required = chosen?.config_schema.required ?? [];
  return (
    <div class="field">
      <label for="action-type">Type</label>
      <select
        id="action-type"
        value={props.value}
        aria-describedby={issues.length ? 'action-type-issues' : undefined}
        onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}
      >
        <option value="">Choose a type…</option>
        {props.types.map((t) => (
          <option key={t.name} value={t.name}>
            {t.title} ({t.name})
          </option>
        ))}
      </select>
      <FieldIssues id="action-type-issues" issues={issues} />
      {chosen && (
        <p class="hint">
          {chosen.description} Stages: {chosen.stages.join(', ')}. Config fields:{' '}
          {Object.keys(chosen.config_schema.properties ?? {}).join(', ') || 'none'}
          {required.length ? ` (required: ${required.join(', ')})` : ''}.
        </p>
      )}
    </div>
  );
}
