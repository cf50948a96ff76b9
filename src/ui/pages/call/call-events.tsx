import type { Call, CallEvent } from '../../calls-api.js';
import { brief, offsetFrom } from '../../components/format.js';

/** Every event of the call in order (state changes, keys, transcript lines, transfers, …). */
export function CallEvents({ call, events, total }: { call: Call; events: CallEvent[]; total: number }) {
  return (
    <section class="panel events" aria-labelledby="events-title">
      <details>
        <summary>
          <h2 id="events-title">Events</h2>{' '}
          <span class="muted">{total > events.length ? `${events.length} of ${total}` : events.length}</span>
        </summary>
        <table aria-labelledby="events-title">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Type</th>
              <th scope="col">Data</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.id}>
                <td>
                  <time dateTime={e.at}>{offsetFrom(e.at, call.started_at)}</time>
                </td>
                <td>{e.type}</td>
                <td>
                  <code>{brief(e.data, 160)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}
