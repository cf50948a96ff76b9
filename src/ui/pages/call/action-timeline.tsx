import type { ActionRun, Call } from '../../calls-api.js';
import { brief, offsetFrom } from '../../components/format.js';
import { StatusBadge } from '../../components/status-badge.js';

/** What fired a run, in words: the agent's tool call, a phrase, a key, a call event, a stage. */
function triggerText(t: Record<string, unknown>): string {
  const kind = String(t.kind ?? 'stage');
  const detail =
    t.stage ?? t.name ?? t.phrase ?? t.digits ?? t.expression ?? t.event ?? t.outcome ?? t.command;
  return detail === undefined ? kind : `${kind}: ${String(detail)}`;
}

function Json({ label, value }: { label: string; value: Record<string, unknown> }) {
  if (!Object.keys(value).length) return null;
  return (
    <details>
      <summary>
        {label} <span class="muted">{brief(value, 60)}</span>
      </summary>
      <pre>{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}

/**
 * The action timeline: every run of the call in the order it started, with its trigger, inputs,
 * outputs, latency and error (GET /action-runs?call_id=…, kept current by the call's stream).
 */
export function ActionTimeline({
  call,
  runs,
  actions,
}: {
  call: Call;
  runs: ActionRun[];
  actions: Map<string, string>;
}) {
  const ordered = [...runs].sort((a, b) => a.started_at.localeCompare(b.started_at));
  const start = call.answered_at ?? call.started_at;
  return (
    <section class="panel timeline" aria-labelledby="timeline-title">
      <h2 id="timeline-title">Actions</h2>
      {ordered.length === 0 ? (
        <p class="muted">No action has run.</p>
      ) : (
        <ol class="runs" aria-live={call.ended_at ? undefined : 'polite'}>
          {ordered.map((r) => (
            <li key={r.id} class={`run status-${r.status}`} data-run-id={r.id}>
              <div class="run-head">
                <strong>{(r.action_id && actions.get(r.action_id)) ?? r.action_type}</strong>
                <StatusBadge kind="status" value={r.status} />
                <span class="muted">
                  <time dateTime={r.started_at}>{offsetFrom(r.started_at, start)}</time>
                  {r.duration_ms !== null && ` · ${r.duration_ms} ms`}
                  {r.attempts > 1 && ` · ${r.attempts} attempts`}
                </span>
              </div>
              <div class="muted">
                {r.action_type} · {r.stage ?? 'inline'} · trigger {triggerText(r.trigger)}
              </div>
              <Json label="Inputs" value={r.inputs} />
              <Json label="Outputs" value={r.outputs} />
              {r.error && <p class="error">{r.error}</p>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
