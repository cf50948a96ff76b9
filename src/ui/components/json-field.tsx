import { useState } from 'preact/hooks';
import type { ApiError } from '../api.js';
import { FieldIssues, issuesFor } from './api-errors.js';

/**
 * A JSON object edited as text (an agent's config, an action's config): the text is parsed when the
 * form is sent; a parse error is shown here, the API's issues for `field` under it.
 */
export function JsonField(props: {
  id: string;
  label: string;
  value: string;
  onInput: (text: string) => void;
  field: string;
  error: ApiError | undefined;
  rows?: number;
  hint?: string;
}) {
  const issues = issuesFor(props.error, props.field);
  const parseError = jsonError(props.value);
  const describedBy = [issues.length ? `${props.id}-issues` : '', parseError ? `${props.id}-parse` : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.hint && <p class="hint">{props.hint}</p>}
      <textarea
        id={props.id}
        class="code"
        rows={props.rows ?? 8}
        spellcheck={false}
        value={props.value}
        aria-invalid={issues.length > 0 || parseError !== undefined}
        aria-describedby={describedBy || undefined}
        onInput={(e) => props.onInput((e.target as HTMLTextAreaElement).value)}
      />
      {parseError && (
        <p id={`${props.id}-parse`} class="error">
          Not JSON: {parseError}
        </p>
      )}
      <FieldIssues id={`${props.id}-issues`} issues={issues} />
    </div>
  );
}

export function jsonError(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Parses a JSON field's text; empty text is `undefined` (the field is left out). */
export function parseJson(text: string): unknown {
  return text.trim() === '' ? undefined : JSON.parse(text);
}

export function useJsonText(value: unknown): [string, (t: string) => void] {
  return useState(value === undefined ? '' : JSON.stringify(value, null, 2));
}
