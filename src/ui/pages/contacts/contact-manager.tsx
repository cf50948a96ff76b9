import { useState } from 'preact/hooks';
import { api, type ApiError } from '../../api.js';
import { asApiError, useApi } from '../../components/use-api.js';
import { ApiErrorBox } from '../../components/api-errors.js';
import { formatDateTime } from '../../components/format.js';
import type { Contact } from './contact-row.js';

/** Sends one change of the contact; true when the API took it (the contact it answers replaces the row's). */
type Send = (method: string, path: string, body?: unknown) => Promise<boolean>;
type ListRef = { id: string; name: string };

/** A contact's tags, lists and Do-Not-Call mark, each changed through the contacts API. */
export function ContactManager(props: {
  contact: Contact;
  lists: ListRef[];
  onChanged: (c: Contact) => void;
}) {
  const [error, setError] = useState<ApiError>();
  const send: Send = async (method, path, body) => {
    setError(undefined);
    try {
      props.onChanged(await api<Contact>(method, path, body));
      return true;
    } catch (err) {
      setError(asApiError(err));
      return false;
    }
  };
  const base = `/contacts/${encodeURIComponent(props.contact.id)}`;
  return (
    <div class="manager">
      <TagsPart contact={props.contact} base={base} send={send} />
      <ListsPart contact={props.contact} base={base} send={send} lists={props.lists} />
      <DncPart contact={props.contact} base={base} send={send} />
      <ApiErrorBox error={error} />
    </div>
  );
}

interface PartProps {
  contact: Contact;
  base: string;
  send: Send;
}

function TagsPart({ contact: c, base, send }: PartProps) {
  const [tag, setTag] = useState('');
  return (
    <div class="manager-part">
      <h4>Tags</h4>
      {c.tags.map((t) => (
        <button
          key={t}
          type="button"
          class="chip"
          aria-label={`Remove tag ${t}`}
          onClick={() => void send('DELETE', `${base}/tags/${encodeURIComponent(t)}`)}
        >
          {t} ×
        </button>
      ))}
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void send('PUT', `${base}/tags/${encodeURIComponent(tag.trim())}`).then((ok) => ok && setTag(''));
        }}
      >
        <label for={`tag-${c.id}`}>Add a tag</label>
        <input id={`tag-${c.id}`} value={tag} onInput={(e) => setTag((e.target as HTMLInputElement).value)} />
        <button type="submit" disabled={!tag.trim()}>
          Add tag
        </button>
      </form>
    </div>
  );
}

function ListsPart({ contact: c, base, send, lists }: PartProps & { lists: ListRef[] }) {
  const [list, setList] = useState('');
  return (
    <div class="manager-part">
      <h4>Lists</h4>
      {c.lists.map((l) => (
        <button
          key={l.id}
          type="button"
          class="chip"
          aria-label={`Remove from list ${l.name}`}
          onClick={() => void send('DELETE', `${base}/lists/${encodeURIComponent(l.id)}`)}
        >
          {l.name} ×
        </button>
      ))}
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void send('PUT', `${base}/lists/${encodeURIComponent(list)}`);
        }}
      >
        <label for={`list-${c.id}`}>Add to a list</label>
        <select
          id={`list-${c.id}`}
          value={list}
          onChange={(e) => setList((e.target as HTMLSelectElement).value)}
        >
          <option value="">Choose a list…</option>
          {lists.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name}
            </option>
          ))}
        </select>
        <button type="submit" disabled={!list}>
          Add to list
        </button>
      </form>
    </div>
  );
}

interface DncChange {
  change: 'set' | 'clear';
  by: string;
  reason: string;
  at: string;
}

/** Put on or take off the Do-Not-Call list, each with a reason; the history says who, when and why. */
function DncPart({ contact: c, base, send }: PartProps) {
  const [reason, setReason] = useState('');
  const history = useApi<{ items: DncChange[] }>(`${base}/dnc-history`);
  return (
    <div class="manager-part">
      <h4>Do-Not-Call</h4>
      {c.dnc && (
        <p>
          On the list since {formatDateTime(c.dnc_at)}, set by {c.dnc_by}: “{c.dnc_reason}”.
        </p>
      )}
      <form
        class="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void send(c.dnc ? 'DELETE' : 'PUT', `${base}/dnc`, { reason }).then((ok) => {
            if (!ok) return;
            setReason('');
            history.reload();
          });
        }}
      >
        <label for={`dnc-${c.id}`}>{c.dnc ? 'Why take it off' : 'Reason'}</label>
        <input
          id={`dnc-${c.id}`}
          value={reason}
          onInput={(e) => setReason((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class={c.dnc ? '' : 'danger'}>
          {c.dnc ? 'Take off the Do-Not-Call list' : 'Put on the Do-Not-Call list'}
        </button>
      </form>
      {(history.data?.items.length ?? 0) > 0 && (
        <ul class="dnc-history small" aria-label="Do-Not-Call history">
          {history.data?.items.map((h) => (
            <li key={h.at + h.change}>
              {formatDateTime(h.at)}: {h.change === 'set' ? 'put on' : 'taken off'} by {h.by}
              {h.reason ? `: “${h.reason}”` : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
