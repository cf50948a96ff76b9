/**
 * Dashboard sign-in sessions (docs/dashboard.md): an API key exchanged for an HTTP-only cookie. Only a
 * SHA-256 digest of the cookie's token is stored; the CSRF token is not a credential on its own (it
 * is useless without the cookie) and is kept so a reloaded page can read it back. A session dies with
 * its API key (revoked keys are checked on every request) and at `expires_at`.
 */
export const up = `
CREATE TABLE ui_sessions (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  csrf_token TEXT NOT NULL,
  api_key_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX ui_sessions_expires ON ui_sessions (expires_at);
`;
