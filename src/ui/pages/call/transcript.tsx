import type { Call, CallEvent } from '../../calls-api.js';
import { formatDuration, offsetFrom } from '../../components/format.js';

/** The transcript: each final line with its speaker and its time in the call (from the answer). */
export function Transcript({ call, events }: { call: Call; events: CallEvent[] }) {
  const lines = events.filter((e) => e.type === 'transcript');
  const start = call.answered_at ?? call.started_at;
  return (
    <section class="panel transcript" aria-labelledby="transcript-title">
      <h2 id="transcript-title">Transcript</h2>
      {lines.length === 0 ? (
        <p class="muted">Nothing said yet.</p>
      ) : (
        <ol class="lines" aria-live={call.ended_at ? undefined : 'polite'}>
          {lines.map((e) => {
            const speaker = String(e.data.speaker ?? 'caller');
            const cut = typeof e.data.interrupted === 'string' ? e.data.interrupted : undefined;
            const startMs = typeof e.data.start_ms === 'number' ? e.data.start_ms : undefined;
            return (
              <li key={e.id} class={`line speaker-${speaker}`} data-event-id={e.id}>
                <span class="when">
                  <time dateTime={e.at}>
                    {startMs !== undefined ? formatDuration(startMs) : offsetFrom(e.at, start)}
                  </time>
                </span>
                <span class="who">{speaker === 'agent' ? 'Agent' : 'Caller'}</span>
                <span class="text">
                  {String(e.data.text ?? '')}
                  {cut && (
                    <span class="muted" title={String(e.data.said ?? '')}>
                      {' '}
                      (cut: {cut})
                    </span>
                  )}
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
