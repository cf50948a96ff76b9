/** How the dashboard writes times and durations (the browser's locale and time zone). */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** An ISO time or epoch milliseconds as the reader's date and time; empty for none. */
export function formatDateTime(at: string | number | null | undefined): string {
  return at === null || at === undefined || at === '' ? '' : dateTime.format(new Date(at));
}

export function formatTime(iso: string | null | undefined): string {
  return iso ? timeOnly.format(new Date(iso)) : '';
}

/** 0:07, 12:30, 1:02:03. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Time of `iso` after `start`, as a duration (a transcript line's place in the call). */
export function offsetFrom(iso: string, start: string | null | undefined): string {
  return start ? formatDuration(Date.parse(iso) - Date.parse(start)) : formatTime(iso);
}

/** A rate from 0 to 1 as a percentage with one decimal; `–` when there is none yet. */
export const percent = (rate: number | null): string =>
  rate === null ? '–' : `${Math.round(rate * 1000) / 10} %`;

/** A latency in milliseconds; `–` when there is none yet. */
export const millis = (ms: number | null): string => (ms === null ? '–' : `${ms} ms`);

/** A short one-line view of a JSON value (event data, run inputs) for tables. */
export function brief(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
