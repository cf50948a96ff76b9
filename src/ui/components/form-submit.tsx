import type { ApiError } from '../api.js';
import { ApiErrorBox } from './api-errors.js';

/**
 * The end of a form that writes through the API: its submit button, "Saved." once the API took the
 * change, and the API's error when it did not.
 */
export function FormSubmit(props: {
  label: string;
  disabled?: boolean;
  primary?: boolean;
  saved?: boolean;
  error: ApiError | undefined;
}) {
  return (
    <>
      <button type="submit" class={props.primary === false ? undefined : 'primary'} disabled={props.disabled}>
        {props.label}
      </button>
      {props.saved && (
        <span class="ok-text" role="status">
          {' '}
          Saved.
        </span>
      )}
      <ApiErrorBox error={props.error} />
    </>
  );
}
