import { useState } from 'preact/hooks';
import { upsert, type Call, type CallChange } from '../../calls-api.js';
import { useEventStream } from '../../components/use-event-stream.js';
import { CallHeader, CallRow } from './call-row.js';
import { useNow } from '../../components/use-names.js';

const newestFirst = (a: Call, b: Call): number => b.started_at.localeCompare(a.started_at);

/** Calls in progress, kept current by GET /calls/live; `onStartOrEnd` hears of each call that starts or ends. */
export function LiveCalls(props: { agents: Map<string, string>; onStartOrEnd: () => void }) {
  const { agents, onStartOrEnd } = props;
  const [calls, setCalls] = useState<Call[]>([]);
  const now = useNow();
  const status = useEventStream('/calls/live', {
    snapshot: (data: { calls: Call[] }) => setCalls(data.calls),
    call: ({ change, call }: CallChange) => {
      if (change === 'ended' || call.ended_at) setCalls((cs) => cs.filter((c) => c.id !== call.id));
      else setCalls((cs) => upsert(cs, call, newestFirst));
      if (change === 'started' || change === 'ended') onStartOrEnd();
    },
  });
  return (
    <section class="panel" aria-labelledby="live-calls-title">
      <h2 id="live-calls-title">
        Live calls <span class={`stream stream-${status}`}>{status === 'live' ? 'live' : `${status}…`}</span>
      </h2>
      {calls.length === 0 ? (
        <p class="muted">No call in progress.</p>
      ) : (
        <table aria-labelledby="live-calls-title">
          <thead>
            <CallHeader live />
          </thead>
          <tbody>
            {calls.map((c) => (
              <CallRow key={c.id} call={c} agents={agents} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
