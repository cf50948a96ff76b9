import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyRepository } from '../store/repositories/api-keys.js';
import type { UiSession, UiSessionRepository } from '../store/repositories/ui-sessions.js';
import { CallwrightError } from '../errors.js';
import { isSignedRecordingRequest } from './routes/call-recording.js';
import { SESSION_COOKIE, readCookie } from './session-cookie.js';

/** Who may call the API: a key in a header, or a dashboard session cookie (docs/dashboard.md). */
export interface ApiCredentials {
  apiKeys: ApiKeyRepository;
  uiSessions: UiSessionRepository;
}

/** The header a cookie-authenticated request that changes something must carry (synchronizer token). */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Paths reachable without a key: liveness, readiness, the API description, and provider webhooks
 * (`/webhooks/…`), which authenticate themselves: by the provider's signature or token when one is
 * configured, else by `requireApiKey` in the route. Signed recording links check their signature in
 * the route (src/api/routes/call-recording.ts). `/metrics` is open unless `metrics.require_key` is
 * set, which its route checks itself. The dashboard's page and assets (`/ui…`, `/`) hold no data, and
 * `/session` is where a key is exchanged for a cookie (its route checks the key).
 */
export function isPublicPath(url: string, method = 'GET'): boolean {
  const p = url.split('?')[0] ?? '';
  return (
    p === '/health' ||
    p === '/ready' ||
    p === '/metrics' ||
    p === '/docs' ||
    p.startsWith('/docs/') ||
    p.startsWith('/webhooks/') ||
    p === '/' ||
    p === '/ui' ||
    p.startsWith('/ui/') ||
    (p === '/session' && method === 'POST') ||
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
export async function requireApiKey(req: FastifyRequest, keys: ApiKeyRepository): Promise<void> {
  const token = extractToken(req);
  if (!token) {
    throw new CallwrightError(
      'UNAUTHORIZED',
      'missing API key: send Authorization: Bearer <key> or X-API-Key',
    );
  }
  const id = await keys.verify(token);
  if (!id) throw new CallwrightError('UNAUTHORIZED', 'invalid or revoked API key');
  req.apiKeyId = id;
}

/** The dashboard session named by the request's cookie, if it is live. */
export async function sessionOf(
  req: FastifyRequest,
  sessions: UiSessionRepository,
): Promise<UiSession | undefined> {
  const token = readCookie(req.headers.cookie, SESSION_COOKIE);
  return token ? await sessions.find(token) : undefined;
}

/**
 * Checks the request's credentials: an API key when one is sent (a wrong key is refused even with a
 * cookie), else a dashboard session cookie. A cookie alone is ambient authority, so a request that
 * changes something must also carry the session's CSRF token in `X-CSRF-Token`; the cookie is
 * `SameSite=Strict` as well, so another site cannot make the browser send it at all.
 */
export async function requireCaller(req: FastifyRequest, creds: ApiCredentials): Promise<void> {
  if (extractToken(req) !== undefined) return requireApiKey(req, creds.apiKeys);
  if (readCookie(req.headers.cookie, SESSION_COOKIE) === undefined) return requireApiKey(req, creds.apiKeys);
  const session = await sessionOf(req, creds.uiSessions);
  if (!session) {
    throw new CallwrightError('UNAUTHORIZED', 'dashboard session expired or signed out: sign in again');
  }
  if (!SAFE_METHODS.has(req.method) && !csrfMatches(req.headers[CSRF_HEADER], session.csrf_token)) {
    throw new CallwrightError(
      'FORBIDDEN',
      `missing or wrong ${CSRF_HEADER} header: a request made with the session cookie that changes something must send the session's CSRF token (GET /session)`,
    );
  }
  req.apiKeyId = session.api_key_id;
  req.uiSession = session;
}

function csrfMatches(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function apiKeyGuard(creds: ApiCredentials) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (isPublicPath(req.url, req.method)) return;
    await requireCaller(req, creds);
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    apiKeyId?: string;
    /** Set when the request came with a dashboard session cookie rather than a key. */
    uiSession?: UiSession;
  }
}
