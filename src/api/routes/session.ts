import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import { CallwrightError } from '../../errors.js';
import { errorResponses } from '../schemas/common.js';
import { SESSION_COOKIE, clearedSessionCookie, readCookie, sessionCookie } from '../session-cookie.js';
import type { UiSession } from '../../store/repositories/ui-sessions.js';

const SignInBody = Type.Object(
  { key: Type.String({ minLength: 1, description: 'An API key (cwk_…), as for Authorization: Bearer' }) },
  { additionalProperties: false },
);

const SessionView = Type.Object({
  api_key_id: Type.String(),
  csrf_token: Type.String({ description: 'Send it as X-CSRF-Token on every request that changes something' }),
  expires_at: Type.String(),
});

function view(s: UiSession): Static<typeof SessionView> {
  return { api_key_id: s.api_key_id, csrf_token: s.csrf_token, expires_at: s.expires_at };
}

function isSecure(req: FastifyRequest, publicUrl: string): boolean {
  return req.protocol === 'https' || publicUrl.startsWith('https:');
}

/**
 * Dashboard sign-in (docs/dashboard.md): `POST /session` exchanges an API key for an HTTP-only
 * session cookie and returns the session's CSRF token; `GET /session` reads it back (a reloaded page);
 * `DELETE /session` signs out. The key itself never reaches page scripts again.
 */
export async function sessionRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const ttlS = deps.config.api.session_ttl_s;
  app.post<{ Body: Static<typeof SignInBody> }>(
    '/session',
    {
      schema: {
        tags: ['session'],
        summary: 'Sign in to the dashboard: an API key for a session cookie',
        security: [],
        body: SignInBody,
        response: { 200: SessionView, ...errorResponses },
      },
    },
    async (req, reply) => {
      const keyId = await deps.store.apiKeys.verify(req.body.key.trim());
      if (!keyId) {
        req.log.warn({ source: req.ip }, 'dashboard sign-in refused: invalid or revoked API key');
        throw new CallwrightError('UNAUTHORIZED', 'invalid or revoked API key');
      }
      const { token, session } = await deps.store.uiSessions.create(keyId, ttlS * 1000);
      req.log.info({ source: req.ip, apiKeyId: keyId }, 'dashboard session opened');
      void reply.header('set-cookie', sessionCookie(token, ttlS, isSecure(req, deps.config.api.public_url)));
      return view(session);
    },
  );

  app.get(
    '/session',
    {
      schema: {
        tags: ['session'],
        summary: "The dashboard session this request's cookie belongs to",
        response: { 200: SessionView, ...errorResponses },
      },
    },
    async (req) => {
      if (!req.uiSession) {
        throw new CallwrightError('NOT_FOUND', 'no dashboard session: this request was made with an API key');
      }
      return view(req.uiSession);
    },
  );

  app.delete(
    '/session',
    {
      schema: {
        tags: ['session'],
        summary: 'Sign out of the dashboard',
        response: { 204: Type.Null({ description: 'signed out' }), ...errorResponses },
      },
    },
    async (req, reply) => {
      const token = req.uiSession ? readCookie(req.headers.cookie, SESSION_COOKIE) : undefined;
      if (token) await deps.store.uiSessions.delete(token);
      void reply.header('set-cookie', clearedSessionCookie(isSecure(req, deps.config.api.public_url)));
      return reply.code(204).send();
    },
  );
}
