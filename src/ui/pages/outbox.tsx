import { useState } from 'preact/hooks';
import { api, withQuery, type ApiError, type Page } from '../api.js';
import { linkHandler } from '../router.js';
import { asApiError, useApi } from '../components/use-api.js';
import { ApiErrorBox } from '../components/api-errors.js';
import { Pager, PAGE } from '../components/pager.js';
import { formatDateTime } from '../components/format.js';

interface OutboxRow {
  id: number;
  kind: string;
  call_id: string | null;
  action_id: string | null;
  status: 'pending' | 'processing' | 'delivered' | 'dead';
  attempts: number;
  max_attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  blocked: boolean;
  created_at: string;
  delivered_at: string | null;
}
type OutboxPage = Page<OutboxRow> & { counts: Record<string, number> };

const STATUSES = ['pending', 'dead', 'processing', 'delivered'] as const;

/** Deliveries waiting or dead, with their last error; replay one dead delivery or every one. */
export function OutboxPage({ query }: { query: URLSearchParams }) {
  const [status, setStatus] = useState<string>(query.get('status') ?? 'dead');
  const [offset, setOffset] = useState(0);
  const rows = useApi<OutboxPage>(withQuery('/outbox', { status, limit: PAGE, offset }));
  const [error, setError] = useState<ApiError>();
  const [note, setNote] = useState('');

  async function replay(path: string, what: (r: unknown) => string): Promise<void> {
    setError(undefined);
    try {
      setNote(what(await api('POST', path)));
      rows.reload();
    } catch (err) {
      setError(asApiError(err));
    }
  }

  const counts = rows.data?.counts ?? {};
  return (
    <section>
      <div class="page-head">
        <h1>Outbox</h1>
        <span class="spacer" />
        <button type="button" onClick={rows.reload}>
          Refresh
        </button>
        <button
          type="button"
          class="primary"
          disabled={!counts.dead}
          onClick={() =>
            void replay(
              '/outbox/replay-dead',
              (r) => `${(r as { replayed: number }).replayed} dead deliveries replayed.`,
            )
          }
        >
          Replay all dead ({counts.dead ?? 0})
        </button>
      </div>
      <p class="muted">
        After-call work waits here until delivered; a delivery that used all its attempts is dead until
        replayed.
      </p>
      <div class="filters" role="group" aria-label="Status">
        {STATUSES.map((s) => (
          <button
            key={s}
            type="button"
            aria-pressed={status === s}
            onClick={() => {
              setStatus(s);
              setOffset(0);
            }}
          >
            {s} ({counts[s] ?? 0})
          </button>
        ))}
      </div>
      <p role="status" class="ok-text">
        {note}
      </p>
      <ApiErrorBox error={rows.error ?? error} />
      <OutboxTable
        rows={rows.data?.items ?? []}
        onReplay={(id) => void replay(`/outbox/${id}/replay`, () => `Delivery ${id} replayed.`)}
      />
      {rows.data?.items.length === 0 && <p class="muted">No {status} deliveries.</p>}
      <Pager total={rows.data?.total ?? 0} offset={offset} onOffset={setOffset} />
    </section>
  );
}

/** One page of rows: each with its attempts, next attempt, last error, and Replay when dead. */
function OutboxTable({ rows, onReplay }: { rows: OutboxRow[]; onReplay: (id: number) => void }) {
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Kind</th>
          <th scope="col">Call</th>
          <th scope="col">Attempts</th>
          <th scope="col">Next attempt</th>
          <th scope="col">Last error</th>
          <th scope="col">Created</th>
          <th scope="col">
            <span class="visually-hidden">Replay</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.id} data-outbox-row={r.id}>
            <td>{r.id}</td>
            <td>{r.kind}</td>
            <td>
              {r.call_id ? (
                <a {...linkHandler(`/calls/${encodeURIComponent(r.call_id)}`)}>{r.call_id}</a>
              ) : (
                '–'
              )}
            </td>
            <td>
              {r.attempts} / {r.max_attempts}
            </td>
            <td>
              {r.status === 'pending'
                ? r.blocked
                  ? 'after the one before it'
                  : formatDateTime(r.next_attempt_at)
                : '–'}
            </td>
            <td class="error-text">{r.last_error ?? ''}</td>
            <td>
              {r.status === 'delivered' && r.delivered_at
                ? `delivered ${formatDateTime(r.delivered_at)}`
                : formatDateTime(r.created_at)}
            </td>
            <td>
              {r.status === 'dead' && (
                <button type="button" aria-label={`Replay delivery ${r.id}`} onClick={() => onReplay(r.id)}>
                  Replay
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
