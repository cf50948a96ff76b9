import { useCallback, useState } from 'preact/hooks';
import { withQuery, type Page } from '../api.js';
import { useApi } from '../components/use-api.js';
import { ApiErrorBox } from '../components/api-errors.js';
import { Pager, PAGE } from '../components/pager.js';
import { ContactRow, type Contact } from './contacts/contact-row.js';
import { CsvImport } from './contacts/csv-import.js';

/** What `GET /contacts` is asked for: text, tag name, list id, Do-Not-Call state ('' = any). */
interface Search {
  q: string;
  tag: string;
  list: string;
  dnc: string;
}
type Named = { id: string; name: string };

/** Contacts found by text, tag, list and Do-Not-Call state; their tags, lists and DNC mark; CSV import. */
export function ContactsPage() {
  const [search, setSearch] = useState<Search>({ q: '', tag: '', list: '', dnc: '' });
  const [offset, setOffset] = useState(0);
  const contacts = useApi<Page<Contact>>(withQuery('/contacts', { ...search, limit: PAGE, offset }));
  const tags = useApi<Page<Named>>('/tags?limit=500');
  const lists = useApi<Page<Named>>('/lists?limit=500');
  const { reload } = contacts;
  const { reload: reloadTags } = tags;
  const { reload: reloadLists } = lists;
  // An import may add contacts, tags and lists.
  const imported = useCallback(() => {
    reload();
    reloadTags();
    reloadLists();
  }, [reload, reloadTags, reloadLists]);
  const changed = (c: Contact): void => {
    if (contacts.data)
      contacts.set({ ...contacts.data, items: contacts.data.items.map((x) => (x.id === c.id ? c : x)) });
  };

  return (
    <section>
      <h1>Contacts</h1>
      <CsvImport onDone={imported} />
      <ContactSearch
        search={search}
        tags={tags.data?.items ?? []}
        lists={lists.data?.items ?? []}
        total={contacts.data?.total}
        onSearch={(s) => {
          setSearch(s);
          setOffset(0);
        }}
      />
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
            <ContactRow key={c.id} contact={c} lists={lists.data?.items ?? []} onChanged={changed} />
          ))}
        </tbody>
      </table>
      {contacts.data?.items.length === 0 && <p class="muted">No contacts match.</p>}
      <Pager total={contacts.data?.total ?? 0} offset={offset} onOffset={setOffset} />
    </section>
  );
}

/** The search box (sent on Search or Enter) and the tag, list and Do-Not-Call filters (sent on change). */
function ContactSearch(props: {
  search: Search;
  tags: Named[];
  lists: Named[];
  total: number | undefined;
  onSearch: (s: Search) => void;
}) {
  const [typed, setTyped] = useState(props.search.q);
  const pick = (key: keyof Search) => (e: Event) =>
    props.onSearch({ ...props.search, [key]: (e.target as HTMLSelectElement).value });
  return (
    <form
      class="filters"
      role="search"
      aria-label="Search contacts"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSearch({ ...props.search, q: typed.trim() });
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
        <select value={props.search.tag} onChange={pick('tag')}>
          <option value="">any</option>
          {props.tags.map((t) => (
            <option key={t.id} value={t.name}>
              {t.name}
            </option>
          ))}
        </select>
      </label>
      <label class="inline">
        List{' '}
        <select value={props.search.list} onChange={pick('list')}>
          <option value="">any</option>
          {props.lists.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name}
            </option>
          ))}
        </select>
      </label>
      <label class="inline">
        Do-Not-Call{' '}
        <select value={props.search.dnc} onChange={pick('dnc')}>
          <option value="">any</option>
          <option value="true">on the list</option>
          <option value="false">not on the list</option>
        </select>
      </label>
      <span class="muted">{props.total === undefined ? '' : `${props.total} contacts`}</span>
    </form>
  );
}
