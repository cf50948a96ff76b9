import { useState } from 'preact/hooks';
import { api, type ApiError } from '../../api.js';
import { asApiError, useApi } from '../../components/use-api.js';
import { ApiErrorBox } from '../../components/api-errors.js';

export interface Contact {
  id: string;
  phone: string;
  first_name: string;
  last_name: string;
  email: string;
  dnc: boolean;
  dnc_at: string | null;
  dnc_by: string | null;
  dnc_reason: string | null;
  tags: string[];
  lists: Array<{ id: string; name: string }>;
}

/** One contact; "Manage" opens its tags, lists and Do-Not-Call mark below it. */
export function ContactRow(props: {
  contact: Contact;
  lists: Array<{ id: string; name: string }>;
  onChanged: (c: Contact) => void;
}) {
  const c = props.contact;
  const [open, setOpen] = useState(false);
  const name = [c.first_name, c.last_name].filter(Boolean).join(' ') || c.phone;
  return (
    <>
      <tr data-contact={c.id}>
        <td>{name}</td>
        <td>{c.phone}</td>
        <td>{c.email}</td>
        <td>{c.tags.join(', ')}</td>
        <td>{c.lists.map((l) => l.name).join(', ')}</td>
        <td>
          {c.dnc ? (
            <span class="dnc">
              <span class="badge off">DNC</span> {c.dnc_reason}{' '}
              <span class="muted small">
                by {c.dnc_by}, {c.dnc_at?.slice(0, 16).replace('T', ' ')}
              </span>
            </span>
          ) : (
            '–'
          )}
        </td>
        <td>
          <button
            type="button"
            aria-expanded={open}
            aria-label={`Manage ${name}`}
            onClick={() => setOpen(!open)}
          >
            Manage
          </button>
        </td>
      </tr>
      {open && (
        <tr class="manage-row">
          <td colSpan={7}>
            <ContactManager contact={c} name={name} lists={props.lists} onChanged={props.onChanged} />
          </td>
        </tr>
      )}
    </>
  );
}

function ContactManager(props: {
  contact: Contact;
  name: string;
  lists: Array<{ id: string; name: string }>;
  onChanged: (c: Contact) => void;
}) {
  const c = props.contact;
  const base = `/contacts/${encodeURIComponent(c.id)}`;
  const [tag, setTag] = useState('');
  const [list, setList] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError>();
  const history = useApi<{
    items: Array<{ change: 'set' | 'clear'; by: string; reason: string; at: string }>;
  }>(`${base}/dnc-history`);

  async function send(method: string, path: string, body?: unknown): Promise<void> {
    setError(undefined);
    try {
      props.onChanged(await api<Contact>(method, path, body));
    } catch (err) {
      setError(asApiError(err));
    }
  }
  const id = c.id;
  return (
    <div class="manager">
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
            void send('PUT', `${base}/tags/${encodeURIComponent(tag)}`).then(() => setTag(''));
          }}
        >
          <label for={`tag-${id}`}>Add a tag</label>
          <input id={`tag-${id}`} value={tag} onInput={(e) => setTag((e.target as HTMLInputElement).value)} />
          <button type="submit" disabled={!tag.trim()}>
            Add tag
          </button>
        </form>
      </div>
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
          <label for={`list-${id}`}>Add to a list</label>
          <select
            id={`list-${id}`}
            value={list}
            onChange={(e) => setList((e.target as HTMLSelectElement).value)}
          >
            <option value="">Choose a list…</option>
            {props.lists.map((l) => (
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
      <div class="manager-part">
        <h4>Do-Not-Call</h4>
        {c.dnc && (
          <p>
            On the list since {c.dnc_at?.replace('T', ' ').slice(0, 19)} UTC, set by {c.dnc_by}: “
            {c.dnc_reason}”.
          </p>
        )}
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void send(c.dnc ? 'DELETE' : 'PUT', `${base}/dnc`, { reason }).then(() => {
              setReason('');
              history.reload();
            });
          }}
        >
          <label for={`dnc-${id}`}>{c.dnc ? 'Why take it off' : 'Reason'}</label>
          <input
            id={`dnc-${id}`}
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
                {h.at.replace('T', ' ').slice(0, 19)}: {h.change === 'set' ? 'put on' : 'taken off'} by {h.by}
                {h.reason ? `: “${h.reason}”` : ''}
              </li>
            ))}
          </ul>
        )}
      </div>
      <ApiErrorBox error={error} />
    </div>
  );
}
