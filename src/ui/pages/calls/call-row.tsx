import { linkHandler } from '../../router.js';
import type { Call } from '../../calls-api.js';
import { formatDateTime, formatDuration } from '../../components/format.js';
import { StatusBadge } from '../../components/status-badge.js';

/** The columns both call tables share. */
export function CallHeader({ live }: { live?: boolean }) {
  return (
    <tr>
      <th scope="col">Started</th>
      <th scope="col">Direction</th>
      <th scope="col">From</th>
      <th scope="col">To</th>
      <th scope="col">Agent</th>
      <th scope="col">{live ? 'State' : 'Outcome'}</th>
      {!live && <th scope="col">Disposition</th>}
      <th scope="col">Duration</th>
    </tr>
  );
}

/** One call; its start time links to the call's page. `now` set: a live call's running duration. */
export function CallRow({ call, agents, now }: { call: Call; agents: Map<string, string>; now?: number }) {
  const live = now !== undefined;
  const duration = live ? now - Date.parse(call.answered_at ?? call.started_at) : call.duration_ms;
  return (
    <tr data-call-id={call.id}>
      <td>
        <a {...linkHandler(`/calls/${encodeURIComponent(call.id)}`)}>{formatDateTime(call.started_at)}</a>
      </td>
      <td>{call.direction}</td>
      <td>{call.from_number || <span class="muted">unknown</span>}</td>
      <td>{call.to_number}</td>
      <td>{call.agent_id ? (agents.get(call.agent_id) ?? call.agent_id) : ''}</td>
      <td>
        {live ? (
          <StatusBadge kind="state" value={call.state} />
        ) : (
          (call.outcome ?? <StatusBadge kind="state" value={call.state} />)
        )}
      </td>
      {!live && <td>{call.call_disposition ?? ''}</td>}
      <td>{formatDuration(duration)}</td>
    </tr>
  );
}
