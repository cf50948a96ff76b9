import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyRepository } from '../store/repositories/api-keys.js';
import { CallwrightError } from '../errors.js';
import { isSignedRecordingRequest } from './routes/call-recording.js';

/**
 * Paths reachable without a key: liveness, readiness, the API description, and provider webhooks
 * (`/webhooks/…`), which authenticate themselves: by the provider's signature or token when one is
 * configured, else by `requireApiKey` in the route. Signed recording links check their signature in
 * the route (src/api/routes/call-recording.ts).
 */
export function isPublicPath(url: string): boolean {
  const p = url.split('?')[0] ?? '';
  return (
    p === '/health' ||
    p === '/ready' ||
    p === '/docs' ||
    p.startsWith('/docs/') ||
    p.startsWith('/webhooks/') ||
    isSignedRecordingRequest(url)
  );
}

export function extractToken(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header) return header.trim();
  return undefined;
}

/** Checks the request's API key; throws UNAUTHORIZED when it is missing, wrong or revoked. */
export function requireApiKey(req: FastifyRequest, keys: ApiKeyRepository): void {
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
}

export function apiKeyGuard(keys: ApiKeyRepository) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (isPublicPath(req.url)) return;
    requireApiKey(req, keys);
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    apiKeyId?: string;
  }
}
