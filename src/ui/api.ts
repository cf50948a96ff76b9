/**
 * The dashboard's only way to the server: the public API, with the session cookie (sent by the
 * browser, never readable here) and the session's CSRF token on requests that change something.
 */

/** A field the API refused, as the API names it (the same messages the API gives everyone). */
export interface FieldIssue {
  field: string;
  value?: unknown;
  expected?: string;
  message?: string;
}

/** An error answer from the API: its stable code, message and field issues. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}

/** A page of a list resource (`?limit=&offset=`). */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

let csrfToken: string | undefined;

/** Set by the session code once signed in (POST /session or GET /session). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when the API says the session is gone (expired, signed out, key revoked). */
let onUnauthorized: () => void = () => {};
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

const REQUEST_TIMEOUT_MS = 30_000;

/** `contentType` sends `body` as is (a CSV file's text); without it the body is sent as JSON. */
export async function api<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : contentType ? String(body) : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw new ApiError(
      0,
      'NETWORK',
      `the server did not answer ${method} ${path}: ${(err as Error).message}`,
    );
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const data: unknown = text ? safeJson(text) : undefined;
  if (!res.ok) {
    const e = (data ?? {}) as { code?: string; message?: string; issues?: FieldIssue[] };
    if (res.status === 401 && path !== '/session') onUnauthorized();
    throw new ApiError(
      res.status,
      e.code ?? `HTTP_${res.status}`,
      e.message ?? res.statusText,
      e.issues ?? [],
    );
  }
  return data as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

/** Builds `path?k=v&…`, leaving out empty values. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}
