import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SqlDatabase } from '../sql/sql-database.js';
import { newId, nowIso } from '../ids.js';
import { notFound } from '../../errors.js';

export interface ApiKeyRecord {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/**
 * API keys are 256-bit random tokens shown once at creation. Only a SHA-256 digest is stored:
 * the tokens have full entropy, so a slow password hash adds nothing but latency per request.
 */
export function hashKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const TOKEN_PREFIX = 'cwk_';

export class ApiKeyRepository {
  constructor(private readonly sql: SqlDatabase) {}

  /** Creates a key; the returned token is the only time it exists in clear. */
  async create(name: string): Promise<{ record: ApiKeyRecord; token: string }> {
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const id = newId('key');
    const prefix = token.slice(0, 12);
    await this.sql.run(
      'INSERT INTO api_keys (id, name, prefix, hash, created_at) VALUES (@id, @name, @prefix, @hash, @created_at)',
      { id, name, prefix, hash: hashKey(token), created_at: nowIso() },
    );
    const record = (await this.list()).find((k) => k.id === id) as ApiKeyRecord;
    return { record, token };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.sql.all<ApiKeyRecord>(
      'SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys ORDER BY created_at, id',
    );
  }

  async activeCount(): Promise<number> {
    return (
      (await this.sql.get<{ n: number }>('SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL'))?.n ??
      0
    );
  }

  /** Returns the key id when the token is valid and not revoked. */
  async verify(token: string): Promise<string | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const digest = hashKey(token);
    const row = await this.sql.get<{ id: string; hash: string; revoked_at: string | null }>(
      'SELECT id, hash, revoked_at FROM api_keys WHERE hash = ?',
      [digest],
    );
    if (!row || row.revoked_at) return undefined;
    // The lookup is by digest; compare again in constant time so timing says nothing about near misses.
    if (!timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(digest, 'hex'))) return undefined;
    await this.sql.run('UPDATE api_keys SET last_used_at = ? WHERE id = ?', [nowIso(), row.id]);
    return row.id;
  }

  /** Revokes by id or by the printed prefix. */
  async revoke(idOrPrefix: string): Promise<void> {
    const info = await this.sql.run(
      'UPDATE api_keys SET revoked_at = ? WHERE (id = ? OR prefix = ?) AND revoked_at IS NULL',
      [nowIso(), idOrPrefix, idOrPrefix],
    );
    if (info.changes === 0) throw notFound('active API key', idOrPrefix);
  }
}
