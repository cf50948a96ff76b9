import { useState } from 'preact/hooks';
import { api, type ApiError, type Page } from '../../api.js';
import { linkHandler } from '../../router.js';
import { asApiError, useApi } from '../../components/use-api.js';
import { ApiErrorBox, FieldIssues, issuesFor } from '../../components/api-errors.js';
import { JsonField, jsonError, parseJson } from '../../components/json-field.js';
import type { ActionDefinition, ActionStatsItem } from '../actions.js';
import { StageList } from './stage-list.js';
import { FormSubmit } from '../../components/form-submit.js';

export type Stage = 'before' | 'during' | 'after';
export const STAGES: Array<{ stage: Stage; title: string }> = [
  { stage: 'before', title: 'Before the call (while it rings)' },
  { stage: 'during', title: 'During the call' },
  { stage: 'after', title: 'After the call' },
];

/** A row of `GET /agents/{id}/actions`: the attachment, its definition's name and enabled flag. */
export interface Attachment {
  id: string;
  action_id: string;
  stage: Stage;
  position: number;
  triggers: unknown[];
  failure_policy: Record<string, unknown>;
  action: string;
  enabled: boolean;
}

/**
 * The agent's actions per stage in execution order: drag (or move up/down) to reorder, which sends the
 * whole stage's order in one `PUT /agents/{id}/attachments/order`; attach, detach, enable, disable.
 */
export function AttachmentsPanel({ agentId }: { agentId: string }) {
  const base = `/agents/${encodeURIComponent(agentId)}`;
  const attachments = useApi<{ items: Attachment[] }>(`${base}/actions`);
  const stats = useApi<{ items: ActionStatsItem[] }>(`/actions/stats?agent=${encodeURIComponent(agentId)}`);
  const [error, setError] = useState<ApiError>();
  const [status, setStatus] = useState('');

  async function change(what: string, work: () => Promise<void>): Promise<void> {
    setError(undefined);
    try {
      await work();
      setStatus(what);
    } catch (err) {
      setError(asApiError(err));
      attachments.reload();
    }
  }

  const reorder = (stage: Stage, ids: string[]): Promise<void> =>
    change(`New ${stage}-stage order saved.`, async () => {
      // Shown at once; the answer (the order as stored) replaces it.
      const items = attachments.data?.items ?? [];
      const moved = ids
        .map((id) => items.find((a) => a.id === id))
        .filter((a): a is Attachment => Boolean(a));
      attachments.set({ items: [...items.filter((a) => a.stage !== stage), ...moved] });
      attachments.set(
        await api<{ items: Attachment[] }>('PUT', `${base}/attachments/order`, { [stage]: ids }),
      );
    });
  const detach = (a: Attachment): Promise<void> =>
    change(`${a.action} detached.`, async () => {
      await api('DELETE', `${base}/actions/${encodeURIComponent(a.id)}`);
      attachments.reload();
    });
  const toggle = (a: Attachment): Promise<void> =>
    change(`${a.action} ${a.enabled ? 'disabled' : 'enabled'}.`, async () => {
      await api('PATCH', `/actions/${encodeURIComponent(a.action_id)}`, { enabled: !a.enabled });
      attachments.reload();
    });

  const statsById = new Map(stats.data?.items.map((s) => [s.action_id, s]));
  const items = attachments.data?.items ?? [];
  return (
    <section class="panel" aria-labelledby="attachments-title">
      <h2 id="attachments-title">Actions</h2>
      <p class="muted">
        Each stage runs its actions top to bottom. Drag an action, or use its move buttons, to change the
        order. Enabling or disabling changes the action definition for every agent.
      </p>
      <ApiErrorBox error={attachments.error ?? error} />
      <p class="visually-hidden" role="status" aria-live="polite">
        {status}
      </p>
      <div class="stages">
        {STAGES.map(({ stage, title }) => (
          <StageList
            key={stage}
            stage={stage}
            title={title}
            items={items.filter((a) => a.stage === stage)}
            stats={statsById}
            onReorder={(ids) => void reorder(stage, ids)}
            onDetach={(a) => void detach(a)}
            onToggle={(a) => void toggle(a)}
          />
        ))}
      </div>
      <AttachForm agentId={agentId} onAttached={() => attachments.reload()} />
      <p class="muted small">
        Success rate and p95 come from this agent's finished runs (
        <a {...linkHandler('/actions')}>all actions</a>).
      </p>
    </section>
  );
}

function AttachForm({ agentId, onAttached }: { agentId: string; onAttached: () => void }) {
  const defs = useApi<Page<ActionDefinition>>('/actions?limit=500');
  const [actionId, setActionId] = useState('');
  const [stage, setStage] = useState<Stage>('during');
  const [triggers, setTriggers] = useState('[]');
  const [error, setError] = useState<ApiError>();

  async function attach(e: Event): Promise<void> {
    e.preventDefault();
    setError(undefined);
    try {
      await api('POST', `/agents/${encodeURIComponent(agentId)}/actions`, {
        action_id: actionId,
        stage,
        triggers: parseJson(triggers) ?? [],
      });
      onAttached();
    } catch (err) {
      setError(asApiError(err));
    }
  }
  const actionIssues = issuesFor(error, 'action_id');
  const stageIssues = issuesFor(error, 'stage');
  return (
    <form class="attach-form" onSubmit={attach} noValidate aria-labelledby="attach-title">
      <h3 id="attach-title">Attach an action</h3>
      <div class="form-row">
        <div class="field">
          <label for="attach-action">Action</label>
          <select
            id="attach-action"
            value={actionId}
            onChange={(e) => setActionId((e.target as HTMLSelectElement).value)}
          >
            <option value="">Choose an action…</option>
            {defs.data?.items.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name} ({d.type})
              </option>
            ))}
          </select>
          <FieldIssues id="attach-action-issues" issues={actionIssues} />
        </div>
        <div class="field">
          <label for="attach-stage">Stage</label>
          <select
            id="attach-stage"
            value={stage}
            onChange={(e) => setStage((e.target as HTMLSelectElement).value as Stage)}
          >
            {STAGES.map((s) => (
              <option key={s.stage} value={s.stage}>
                {s.stage}
              </option>
            ))}
          </select>
          <FieldIssues id="attach-stage-issues" issues={stageIssues} />
        </div>
      </div>
      <JsonField
        id="attach-triggers"
        label="Triggers (JSON list)"
        hint='For example [{"kind": "tool"}] or [{"kind": "intent", "phrases": ["talk to a person"]}]; none: runs at stage entry.'
        value={triggers}
        onInput={setTriggers}
        field="triggers"
        error={error}
        rows={3}
      />
      <FormSubmit label="Attach" primary={false} disabled={jsonError(triggers) !== undefined} error={error} />
    </form>
  );
}
