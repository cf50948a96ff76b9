import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyRepository } from '../store/repositories/api-keys.js';
import { CallwrightError } from '../errors.js';

/** Paths reachable without a key: liveness, readiness and the API description. */
export function isPublicPath(url: string): boolean {
  const p = url.split('?')[0] ?? '';
  return p === '/health' || p === '/ready' || p === '/docs' || p.startsWith('/docs/');
}

export function extractToken(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header) return header.trim();
  return undefined;
}

export function apiKeyGuard(keys: ApiKeyRepository) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (isPublicPath(req.url)) return;
    const token = extractToken(req);
    if (!token) {
      throw new CallwrightError(
        'UNAUTHORIZED',
        'missing API key: send Authorization: Bearer <key> or X-API-Key',
      );
    }
    const id = keys.verify(token);
    if (!id) throw new CallwrightError('UNAUTHORIZED', 'invalid or revoked API key');
    req.apiKeyId = id;
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    apiKeyId?: string;
  }
}
