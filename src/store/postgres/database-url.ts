import { CallwrightError } from '../../errors.js';

/** The URL with its password replaced by `***` (safe to print and log); works on unparseable text too. */
export function redactDatabaseUrl(value: string): string {
  return value.replace(/\/\/([^/@:]*):[^/]*@/, '//$1:***@');
}

const EXPECTED = 'postgres://user:password@host:port/database (or postgresql://)';

/**
 * Checks a PostgreSQL URL before any connection is tried. `field` names where it came from
 * (`data.postgres_url`, `--database-url`) so the error points at what to fix.
 */
export function checkDatabaseUrl(value: string, field: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !/^postgres(ql)?:$/.test(url.protocol) || !url.hostname) {
    const shown = redactDatabaseUrl(value);
    throw new CallwrightError('VALIDATION', `${field}: ${JSON.stringify(shown)} is not a PostgreSQL URL`, [
      { field, value: shown, expected: EXPECTED },
    ]);
  }
  return value;
}

/** Why a connection failed, in words, from a `pg` or socket error. */
function connectReason(err: { code?: string; message?: string }): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused (is PostgreSQL running and listening there?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case '28P01':
    case '28000':
      return `authentication failed: ${err.message ?? ''}`.trim();
    case '3D000':
      return `${err.message ?? 'the database does not exist'} (create it first: CREATE DATABASE …)`;
    default:
      return /timeout/i.test(err.message ?? '') ? 'connection timed out' : (err.message ?? String(err));
  }
}

/** True for errors that mean "could not reach or log in to the server", not a failing statement. */
export function isConnectError(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? '';
  const message = (err as { message?: string }).message ?? '';
  return (
    ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', '28P01', '28000', '3D000'].includes(
      code,
    ) ||
    code.startsWith('08') ||
    /connection timeout|timeout expired|Connection terminated/i.test(message)
  );
}

/** A connection failure as an error naming the field and the (redacted) URL. */
export function connectError(err: unknown, url: string, field: string): CallwrightError {
  const shown = redactDatabaseUrl(url);
  return new CallwrightError(
    'UNAVAILABLE',
    `cannot connect to PostgreSQL at ${shown} (${field}): ${connectReason(err as { code?: string })}`,
    [{ field, value: shown, expected: 'the URL of a reachable PostgreSQL server and an existing database' }],
    { cause: err },
  );
}
