import { useCallback, useState } from 'preact/hooks';
import { withQuery, type Page } from '../api.js';
import { useApi } from '../components/use-api.js';
import { ApiErrorBox } from '../components/api-errors.js';
import { ContactRow, type Contact } from './contacts/contact-row.js';
import { CsvImport } from './contacts/csv-import.js';
import { Pager, PAGE } from '../components/pager.js';

/** Contacts found by tag, list and Do-Not-Call state; their tags, lists and DNC mark; CSV import. */
export function ContactsPage() {
  const [q, setQ] = useState('');
  const [typed, setTyped] = useState('');
  const [tag, setTag] = useState('');
  const [list, setList] = useState('');
  const [dnc, setDnc] = useState('');
  const [offset, setOffset] = useState(0);
  const contacts = useApi<Page<Contact>>(withQuery('/contacts', { q, tag, list, dnc, limit: PAGE, offset }));
  const tags = useApi<Page<{ id: string; name: string }>>('/tags?limit=500');
  const lists = useApi<Page<{ id: string; name: string }>>('/lists?limit=500');
  const reloadAll = contacts.reload;
  const imported = useCallback(() => {
    reloadAll();
    tags.reload();
    lists.reload();
  }, [reloadAll, tags.reload, lists.reload]);

  const filter = (set: (v: string) => void) => (e: Event) => {
    set((e.target as HTMLSelectElement).value);
    setOffset(0);
  };
  return (
    <section>
      <h1>Contacts</h1>
      <CsvImport onDone={imported} />
      <form
        class="filters"
        role="search"
        aria-label="Search contacts"
        onSubmit={(e) => {
          e.preventDefault();
          setQ(typed.trim());
          setOffset(0);
        }}
      >
        <label class="inline" for="contact-search">
          Search
        </label>
        <input
          id="contact-search"
          type="search"
          placeholder="name, email or part of the number"
          value={typed}
          onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Search</button>
        <label class="inline">
          Tag{' '}
          <select value={tag} onChange={filter(setTag)}>
            <option value="">any</option>
            {tags.data?.items.map((t) => (
              <option key={t.id} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <label class="inline">
          List{' '}
          <select value={list} onChange={filter(setList)}>
            <option value="">any</option>
            {lists.data?.items.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
        <label class="inline">
          Do-Not-Call{' '}
          <select value={dnc} onChange={filter(setDnc)}>
            <option value="">any</option>
            <option value="true">on the list</option>
            <option value="false">not on the list</option>
          </select>
        </label>
        <span class="muted">{contacts.data ? `${contacts.data.total} contacts` : ''}</span>
      </form>
      <ApiErrorBox error={contacts.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Phone</th>
            <th scope="col">Email</th>
            <th scope="col">Tags</th>
            <th scope="col">Lists</th>
            <th scope="col">Do-Not-Call</th>
            <th scope="col">
              <span class="visually-hidden">Manage</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {contacts.data?.items.map((c) => (
            <ContactRow
              key={c.id}
              contact={c}
              lists={lists.data?.items ?? []}
              onChanged={(changed) =>
                contacts.data &&
                contacts.set({
                  ...contacts.data,
                  items: contacts.data.items.map((x) => (x.id === changed.id ? changed : x)),
                })
              }
            />
          ))}
        </tbody>
      </table>
      {contacts.data?.items.length === 0 && <p class="muted">No contacts match.</p>}
      <Pager total={contacts.data?.total ?? 0} offset={offset} onOffset={setOffset} />
    </section>
  );
}
