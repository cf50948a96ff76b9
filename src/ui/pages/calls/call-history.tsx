import { useEffect, useState } from 'preact/hooks';
import { withQuery, type Page } from '../../api.js';
import type { Call } from '../../calls-api.js';
import { navigate } from '../../router.js';
import { ApiErrorBox, issuesFor } from '../../components/api-errors.js';
import { useApi } from '../../components/use-api.js';
import { Pager } from '../../components/pager.js';
import { CallHeader, CallRow } from './call-row.js';

/** The filters, named as GET /calls names them, so the page's URL and the API query are the same. */
export const FILTERS = [
  'number',
  'agent_id',
  'outcome',
  'disposition',
  'started_after',
  'started_before',
] as const;
type Filter = (typeof FILTERS)[number];
const PAGE_SIZE = 25;
const OUTCOMES = ['completed', 'transferred', 'no-answer', 'busy', 'failed', 'cancelled', 'rejected'];

function filtersOf(query: URLSearchParams): Record<Filter, string> {
  return Object.fromEntries(FILTERS.map((f) => [f, query.get(f) ?? ''])) as Record<Filter, string>;
}

/**
 * All calls, newest first, a page at a time, narrowed by the filters in the page's URL (a link or a
 * reload keeps them). `refresh` changes when a call starts or ends, so the first page shows it.
 */
export function CallHistory(props: { query: URLSearchParams; agents: Map<string, string>; refresh: number }) {
  const { query, agents, refresh } = props;
  const applied = filtersOf(query);
  const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
  const [form, setForm] = useState(applied);
  const key = query.toString();
  const { data: page, error } = useApi<Page<Call>>(
    withQuery('/calls', { ...applied, limit: PAGE_SIZE, offset }),
    offset === 0 ? refresh : 0,
  );

  useEffect(() => setForm(filtersOf(query)), [key]);

  function go(filters: Record<string, string>, at = 0): void {
    navigate(withQuery('/calls', { ...filters, offset: at || undefined }));
  }
  const set = (f: Filter) => (e: Event) => setForm({ ...form, [f]: (e.target as HTMLInputElement).value });
  const field = (f: Filter) => {
    const issue = issuesFor(error, `query.${f}`).length > 0;
    return {
      id: `filter-${f}`,
      name: f,
      value: form[f],
      onInput: set(f),
      'aria-invalid': issue ? true : undefined,
      'aria-describedby': issue ? 'history-error' : undefined,
    };
  };

  return (
    <section class="panel" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <form
        class="filters"
        role="search"
        aria-label="Filter calls"
        onSubmit={(e) => {
          e.preventDefault();
          go(form);
        }}
      >
        <div>
          <label for="filter-number">Number</label>
          <input {...field('number')} type="search" placeholder="+1415…" />
        </div>
        <div>
          <label for="filter-agent_id">Agent</label>
          <select {...field('agent_id')} onChange={set('agent_id')}>
            <option value="">Any agent</option>
            {[...agents].map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="filter-outcome">Outcome</label>
          <input {...field('outcome')} list="outcomes" />
          <datalist id="outcomes">
            {OUTCOMES.map((o) => (
              <option key={o} value={o} />
            ))}
          </datalist>
        </div>
        <div>
          <label for="filter-disposition">Disposition</label>
          <input {...field('disposition')} />
        </div>
        <div>
          <label for="filter-started_after">Started from</label>
          <input {...field('started_after')} type="date" />
        </div>
        <div>
          <label for="filter-started_before">Started before</label>
          <input {...field('started_before')} type="date" />
        </div>
        <div class="filter-buttons">
          <button type="submit" class="primary">
            Apply
          </button>
          <button type="button" onClick={() => go({})}>
            Clear
          </button>
        </div>
      </form>
      <ApiErrorBox error={error} id="history-error" />
      {page && (
        <HistoryTable
          page={page}
          agents={agents}
          filtered={FILTERS.some((f) => applied[f])}
          onPage={(at) => go(applied, at)}
        />
      )}
    </section>
  );
}

function HistoryTable({
  page,
  agents,
  filtered,
  onPage,
}: {
  page: Page<Call>;
  agents: Map<string, string>;
  filtered: boolean;
  onPage: (offset: number) => void;
}) {
  if (!page.items.length) return <p class="muted">{filtered ? 'No call matches.' : 'No calls yet.'}</p>;
  return (
    <>
      <table aria-labelledby="history-title">
        <thead>
          <CallHeader />
        </thead>
        <tbody>
          {page.items.map((c) => (
            <CallRow key={c.id} call={c} agents={agents} />
          ))}
        </tbody>
      </table>
      <Pager
        total={page.total}
        offset={page.offset}
        limit={page.limit}
        onOffset={onPage}
        label="Pages of calls"
      />
    </>
  );
}
