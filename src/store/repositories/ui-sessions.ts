import { randomBytes } from 'node:crypto';
import type { SqlDatabase } from '../sql/sql-database.js';
import { newId, nowIso } from '../ids.js';
import { hashKey } from './api-keys.js';

/** A signed-in dashboard session, as the API sees it (never the cookie's token). */
export interface UiSession {
  id: string;
  api_key_id: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

/**
 * Dashboard sessions: the token in the cookie is 256 random bits, stored as its SHA-256 digest like
 * API keys (full entropy: a slow hash adds nothing). A session is valid while it has not expired and
 * its API key is not revoked.
 */
export class UiSessionRepository {
  constructor(private readonly sql: SqlDatabase) {}

  /** Opens a session for a verified API key; the token is returned once, for the cookie. */
  async create(
    apiKeyId: string,
    ttlMs: number,
    now = Date.now(),
  ): Promise<{ token: string; session: UiSession }> {
    const token = randomBytes(32).toString('base64url');
    const session: UiSession = {
      id: newId('uis'),
      api_key_id: apiKeyId,
      csrf_token: randomBytes(24).toString('base64url'),
      created_at: nowIso(),
      expires_at: new Date(now + ttlMs).toISOString(),
    };
    await this.sql.run('DELETE FROM ui_sessions WHERE expires_at <= ?', [new Date(now).toISOString()]);
    await this.sql.run(
      `INSERT INTO ui_sessions (id, token_hash, csrf_token, api_key_id, created_at, expires_at)
       VALUES (@id, @token_hash, @csrf_token, @api_key_id, @created_at, @expires_at)`,
      { ...session, token_hash: hashKey(token) },
    );
    return { token, session };
  }

  /** The live session for a cookie token, or undefined (unknown, expired, or its key revoked). */
  find(token: string, now = Date.now()): Promise<UiSession | undefined> {
    return this.sql.get<UiSession>(
      `SELECT s.id, s.api_key_id, s.csrf_token, s.created_at, s.expires_at
         FROM ui_sessions s JOIN api_keys k ON k.id = s.api_key_id
        WHERE s.token_hash = ? AND s.expires_at > ? AND k.revoked_at IS NULL`,
      [hashKey(token), new Date(now).toISOString()],
    );
  }

  /** Signs a session out; unknown tokens are ignored. */
  async delete(token: string): Promise<void> {
    await this.sql.run('DELETE FROM ui_sessions WHERE token_hash = ?', [hashKey(token)]);
  }
}
