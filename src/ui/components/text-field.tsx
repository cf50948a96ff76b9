import type { ApiError } from '../api.js';
import { FieldIssues, issuesFor } from './api-errors.js';

/** A labelled input with the API's issues for `field` under it. */
export function TextField(props: {
  id: string;
  label: string;
  value: string;
  onInput: (v: string) => void;
  field: string;
  error: ApiError | undefined;
  required?: boolean;
}) {
  const issues = issuesFor(props.error, props.field);
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="text"
        value={props.value}
        required={props.required}
        aria-invalid={issues.length > 0}
        aria-describedby={issues.length ? `${props.id}-issues` : undefined}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
      <FieldIssues id={`${props.id}-issues`} issues={issues} />
    </div>
  );
}
