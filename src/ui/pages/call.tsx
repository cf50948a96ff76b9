import { useState } from 'preact/hooks';
import { upsert, type ActionRun, type CallChange, type CallEvent, type CallSnapshot } from '../calls-api.js';
import { useEventStream } from '../components/use-event-stream.js';
import { formatDateTime, formatDuration } from '../components/format.js';
import { linkHandler } from '../router.js';
import { useNames, useNow } from '../components/use-names.js';
import { Transcript } from './call/transcript.js';
import { ActionTimeline } from './call/action-timeline.js';
import { CallControls } from './call/call-controls.js';
import { CallResults } from './call/call-results.js';
import { CallEvents } from './call/call-events.js';
import { StatusBadge } from '../components/status-badge.js';

const byId = (a: { id: number }, b: { id: number }): number => a.id - b.id;
const byStart = (a: ActionRun, b: ActionRun): number => a.started_at.localeCompare(b.started_at);

/**
 * One call: transcript beside its action timeline, results, events and, while it is live, its
 * controls. Everything comes from GET /calls/{id}/live: the call's history first, then each change as
 * it is written (the stream stays open after the end, so after-call runs appear as they settle).
 */
export function CallPage({ id }: { id: string }) {
  const [data, setData] = useState<CallSnapshot>();
  const agents = useNames('/agents');
  const actions = useNames('/actions');
  const now = useNow();
  const status = useEventStream(`/calls/${encodeURIComponent(id)}/live`, {
    snapshot: (s: CallSnapshot) => setData(s),
    call: ({ call }: CallChange) => setData((d) => d && { ...d, call }),
    event: (e: CallEvent) =>
      setData(
        (d) =>
          d && {
            ...d,
            events: upsert(d.events, e, byId),
            events_total: d.events.some((x) => x.id === e.id) ? d.events_total : d.events_total + 1,
          },
      ),
    run: (r: ActionRun) => setData((d) => d && { ...d, runs: upsert(d.runs, r, byStart) }),
  });
  if (!data) {
    const failed = status === 'closed' || status === 'reconnecting';
    return (
      <section>
        <h1>Call</h1>
        <p class={failed ? 'error' : 'muted'} role={failed ? 'alert' : undefined}>
          {failed
            ? `Call ${id} could not be loaded (unknown call, or the server is unreachable).`
            : 'Loading…'}
        </p>
        <a {...linkHandler('/calls')}>All calls</a>
      </section>
    );
  }
  const { call } = data;
  const live = !call.ended_at;
  const duration = live ? now - Date.parse(call.answered_at ?? call.started_at) : call.duration_ms;
  return (
    <>
      <p class="crumbs">
        <a {...linkHandler('/calls')}>Calls</a> / {call.id}
      </p>
      <h1>
        {call.direction === 'inbound' ? 'Call from' : 'Call to'}{' '}
        {call.direction === 'inbound' ? call.from_number || 'unknown' : call.to_number}{' '}
        <StatusBadge kind="state" value={call.state} />
      </h1>
      <dl class="facts">
        <Fact name="Agent" value={call.agent_id ? (agents.get(call.agent_id) ?? call.agent_id) : ''} />
        <Fact name="From" value={call.from_number} />
        <Fact name="To" value={call.to_number} />
        <Fact name="Started" value={formatDateTime(call.started_at)} />
        <Fact name="Duration" value={formatDuration(duration)} />
        <Fact name="Outcome" value={call.outcome ?? ''} />
        <Fact name="Disposition" value={call.call_disposition ?? ''} />
        <Fact name="Hung up by" value={call.hangup_by ?? ''} />
      </dl>
      {live && <CallControls call={call} />}
      <div class="call-columns">
        <Transcript call={call} events={data.events} />
        <ActionTimeline call={call} runs={data.runs} actions={actions} />
      </div>
      <CallResults call={call} />
      <CallEvents call={call} events={data.events} total={data.events_total} />
    </>
  );
}

function Fact({ name, value }: { name: string; value: string }) {
  if (!value) return null;
  return (
    <div>
      <dt>{name}</dt>
      <dd>{value}</dd>
    </div>
  );
}
