import type { ApiError, FieldIssue } from '../api.js';

/** One issue as the API words it: `body.phone: got "x", expected …` (the CLI's wording too). */
export function describeIssue(i: FieldIssue): string {
  const got = i.value === undefined ? 'missing' : `got ${JSON.stringify(i.value)}`;
  return `${i.field}: ${got}, expected ${i.expected ?? i.message ?? ''}`;
}

/**
 * The issues naming `field` or a field inside it (`config` matches `config.url`). A body field is named
 * `body.name` by the schema check and `name` by some deeper checks (an action type's config rules), so
 * the `body.` prefix is ignored on both sides.
 */
export function issuesFor(error: ApiError | undefined, field: string): FieldIssue[] {
  const bare = (f: string): string => f.replace(/^body\./, '');
  const want = bare(field);
  return (error?.issues ?? []).filter((i) => bare(i.field) === want || bare(i.field).startsWith(`${want}.`));
}

/** The issues of one form field, shown under it; `id` is what the input's aria-describedby names. */
export function FieldIssues({ id, issues }: { id: string; issues: FieldIssue[] }) {
  if (issues.length === 0) return null;
  return (
    <ul id={id} class="field-issues error">
      {issues.map((i) => (
        <li key={i.field + String(i.value)}>{describeIssue(i)}</li>
      ))}
    </ul>
  );
}

/**
 * The API's error for a whole form or page: its message and every field issue. `id`: what the form's
 * inputs name in aria-describedby.
 */
export function ApiErrorBox({ error, id }: { error: ApiError | undefined; id?: string }) {
  if (!error) return null;
  return (
    <div id={id} class="error api-error" role="alert">
      <p>
        <strong>{error.code}</strong>: {error.message}
      </p>
      {error.issues.length > 1 && (
        <ul>
          {error.issues.map((i) => (
            <li key={i.field + String(i.value)}>{describeIssue(i)}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
