import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../database.js';
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
  private readonly insert: Statement;
  private readonly byHash: Statement;
  private readonly touch: Statement;
  private readonly listAll: Statement;
  private readonly revokeStmt: Statement;
  private readonly countActive: Statement;

  constructor(db: Db) {
    this.insert = db.prepare(
      'INSERT INTO api_keys (id, name, prefix, hash, created_at) VALUES (@id, @name, @prefix, @hash, @created_at)',
    );
    this.byHash = db.prepare('SELECT id, hash, revoked_at FROM api_keys WHERE hash = ?');
    this.touch = db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?');
    this.listAll = db.prepare(
      'SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys ORDER BY created_at, id',
    );
    this.revokeStmt = db.prepare(
      'UPDATE api_keys SET revoked_at = ? WHERE (id = ? OR prefix = ?) AND revoked_at IS NULL',
    );
    this.countActive = db.prepare('SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL');
  }

  /** Creates a key; the returned token is the only time it exists in clear. */
  create(name: string): { record: ApiKeyRecord; token: string } {
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const id = newId('key');
    const prefix = token.slice(0, 12);
    this.insert.run({ id, name, prefix, hash: hashKey(token), created_at: nowIso() });
    const record = this.list().find((k) => k.id === id) as ApiKeyRecord;
    return { record, token };
  }

  list(): ApiKeyRecord[] {
    return this.listAll.all() as ApiKeyRecord[];
  }

  activeCount(): number {
    return (this.countActive.get() as { n: number }).n;
  }

  /** Returns the key id when the token is valid and not revoked. */
  verify(token: string): string | undefined {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const digest = hashKey(token);
    const row = this.byHash.get(digest) as
      { id: string; hash: string; revoked_at: string | null } | undefined;
    if (!row || row.revoked_at) return undefined;
    // The lookup is by digest; compare again in constant time so timing says nothing about near misses.
    if (!timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(digest, 'hex'))) return undefined;
    this.touch.run(nowIso(), row.id);
    return row.id;
  }

  /** Revokes by id or by the printed prefix. */
  revoke(idOrPrefix: string): void {
    const info = this.revokeStmt.run(nowIso(), idOrPrefix, idOrPrefix);
    if (info.changes === 0) throw notFound('active API key', idOrPrefix);
  }
}
