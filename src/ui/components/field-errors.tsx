import { ApiError } from '../api.js';

/** The API's own error next to a form: its message and each field it names with what is accepted. */
export function ErrorNote({ error, id }: { error: unknown; id?: string }) {
  if (!error) return null;
  if (!(error instanceof ApiError))
    return (
      <p id={id} class="error" role="alert">
        {String(error)}
      </p>
    );
  return (
    <div id={id} class="error" role="alert">
      <p>{error.message}</p>
      {error.issues.length > 1 && (
        <ul>
          {error.issues.map((i) => (
            <li key={i.field}>
              <code>{i.field}</code>: expected {i.expected}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The issue the API reported for one field (`query.number`, `body.target`), if any. */
export function issueFor(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const issue = error.issues.find((i) => i.field === field);
  return issue ? `expected ${issue.expected}` : undefined;
}
