import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type FieldIssue } from '../../api.js';
import { asApiError } from '../../components/use-api.js';
import { ApiErrorBox } from '../../components/api-errors.js';

interface ImportJob {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  rows: number;
  bytes: number;
  total_bytes: number;
  summary: {
    imported: number;
    updated: number;
    unchanged: number;
    rejected: Array<{ line: number; issues: FieldIssue[] }>;
  } | null;
  error: { code: string; message: string; issues: FieldIssue[] } | null;
}

const POLL_MS = 250;

/** Upload a CSV to `POST /contacts/imports`, follow the job with a progress bar, then show its counts. */
export function CsvImport({ onDone }: { onDone: () => void }) {
  const [file, setFile] = useState<File>();
  const [country, setCountry] = useState('');
  const [job, setJob] = useState<ImportJob>();
  const [error, setError] = useState<ApiError>();

  useEffect(() => {
    if (job?.status !== 'running') return;
    const timer = setTimeout(() => {
      api<ImportJob>('GET', `/contacts/imports/${encodeURIComponent(job.id)}`)
        .then((j) => {
          setJob(j);
          if (j.status !== 'running') onDone();
        })
        .catch((err: unknown) => setError(asApiError(err)));
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [job, onDone]);

  async function start(e: Event): Promise<void> {
    e.preventDefault();
    if (!file) return;
    setError(undefined);
    setJob(undefined);
    try {
      const path = country ? `/contacts/imports?country=${encodeURIComponent(country)}` : '/contacts/imports';
      setJob(await api<ImportJob>('POST', path, await file.text(), 'text/csv'));
    } catch (err) {
      setError(asApiError(err));
    }
  }

  const percent = job ? Math.round((job.bytes / Math.max(job.total_bytes, 1)) * 100) : 0;
  return (
    <form class="panel form" onSubmit={start} aria-labelledby="import-title">
      <h2 id="import-title">Import from CSV</h2>
      <p class="hint">
        Columns: phone, first_name, last_name, email, timezone, tags, lists (tags and lists separated by ;);
        any other column becomes a property. Contacts are matched by phone, so importing a file again changes
        nothing.
      </p>
      <div class="form-row">
        <div class="field">
          <label for="import-file">CSV file</label>
          <input
            id="import-file"
            type="file"
            accept=".csv,text/csv"
            onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0])}
          />
        </div>
        <div class="field">
          <label for="import-country">Country of national numbers (optional)</label>
          <input
            id="import-country"
            value={country}
            placeholder="GB"
            size={4}
            onInput={(e) => setCountry((e.target as HTMLInputElement).value)}
          />
        </div>
      </div>
      <button type="submit" class="primary" disabled={!file || job?.status === 'running'}>
        Import
      </button>
      <ApiErrorBox error={error} />
      {job && (
        <div class="import-progress">
          <label for="import-bar">Import progress</label>
          <progress
            id="import-bar"
            max={100}
            value={percent}
            aria-valuetext={`${percent} %, ${job.rows} rows`}
          />
          <span class="small" role="status">
            {job.status === 'running' ? `${percent} % · ${job.rows} rows read` : `${job.rows} rows read`}
          </span>
        </div>
      )}
      {job?.summary && <ImportSummary summary={job.summary} />}
      {job?.error && (
        <ApiErrorBox error={new ApiError(400, job.error.code, job.error.message, job.error.issues)} />
      )}
    </form>
  );
}

function ImportSummary({ summary }: { summary: NonNullable<ImportJob['summary']> }) {
  return (
    <div class="import-summary">
      <p role="status" class="import-counts">
        Imported {summary.imported}, updated {summary.updated}, unchanged {summary.unchanged}, rejected{' '}
        {summary.rejected.length}
      </p>
      {summary.rejected.length > 0 && (
        <table>
          <caption>Rejected rows (not written; the other rows were imported)</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Field</th>
              <th scope="col">Value</th>
              <th scope="col">Expected</th>
            </tr>
          </thead>
          <tbody>
            {summary.rejected.flatMap((r) =>
              r.issues.map((i) => (
                <tr key={`${r.line}-${i.field}`}>
                  <td>{r.line}</td>
                  <td>{i.field}</td>
                  <td>{i.value === undefined ? 'missing' : JSON.stringify(i.value)}</td>
                  <td>{i.expected}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
    </div>
  );
}
