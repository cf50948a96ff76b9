import type { Call } from '../../calls-api.js';

function recordingNote(status: string | null | undefined): string {
  switch (status) {
    case 'recording':
    case 'uploading':
      return 'Being recorded; it plays here once the call has ended and the file is stored.';
    case 'failed':
      return 'The recording could not be stored.';
    case 'deleted':
      return 'The recording was deleted (retention).';
    default:
      return 'This call was not recorded.';
  }
}

function Values({ values }: { values: Record<string, unknown> }) {
  return (
    <dl class="values">
      {Object.entries(values).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            {v === '' || v === null ? (
              <span class="muted">none</span>
            ) : typeof v === 'string' ? (
              v
            ) : (
              JSON.stringify(v)
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * What the call produced: extracted fields (`collected`), the evaluation and summary the after-call
 * actions stored on the call, its dispositions, and the recording with a player.
 */
export function CallResults({ call }: { call: Call }) {
  const collected = Object.keys(call.collected ?? {}).length > 0;
  const recordingReady = call.recording_status === 'ready';
  return (
    <section class="panel results" aria-labelledby="results-title">
      <h2 id="results-title">Results</h2>
      <h3>Extracted</h3>
      {collected ? <Values values={call.collected} /> : <p class="muted">Nothing extracted.</p>}
      <h3>Evaluation</h3>
      {call.evaluation ? <Values values={call.evaluation} /> : <p class="muted">Not evaluated.</p>}
      {call.summary && (
        <>
          <h3>Summary</h3>
          <p>{call.summary}</p>
        </>
      )}
      <h3>Recording</h3>
      {recordingReady ? (
        <audio
          controls
          preload="none"
          src={`/calls/${encodeURIComponent(call.id)}/recording`}
          aria-label="Call recording"
        />
      ) : (
        <p class="muted">{recordingNote(call.recording_status)}</p>
      )}
    </section>
  );
}
