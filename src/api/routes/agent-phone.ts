import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import type { SipWebSocketSettings } from '../../config/schema.js';
import { CallwrightError, notFound } from '../../errors.js';
import { PHONE_TOKEN_HEADER, type PhoneTokens } from '../../calls/phone-token.js';
import { errorResponses, IdParams } from '../schemas/common.js';

/** What the phone route needs: the token issuer and where browsers reach SIP over WebSocket. */
export interface BrowserPhone {
  tokens: PhoneTokens;
  settings: SipWebSocketSettings;
  /** The embedded backend's own listener (scheme and bound port); undefined with the freeswitch backend. */
  listener(): { scheme: 'ws' | 'wss'; port: number } | undefined;
}

declare module '../app.js' {
  interface ApiDeps {
    /** The browser phone (sip.websocket); absent: POST /agents/{id}/phone answers 503. */
    phone?: BrowserPhone;
  }
}

const PhoneGrant = Type.Object({
  ws_url: Type.String({ description: 'SIP over WebSocket (RFC 7118) URL to connect to, subprotocol "sip"' }),
  uri: Type.String({ description: 'SIP URI to INVITE' }),
  header: Type.String({ description: 'SIP header that must carry the token on the INVITE' }),
  token: Type.String({ description: 'Phone token: lets one call to this agent start until expires_at' }),
  expires_at: Type.String({ format: 'date-time' }),
});

/** The host the dashboard was loaded from, without its port (IPv6 keeps its brackets). */
function requestHost(req: FastifyRequest): string {
  const host = req.headers.host ?? '127.0.0.1';
  const m = /^(\[[^\]]+\]|[^:]+)/.exec(host);
  return m?.[1] ?? '127.0.0.1';
}

function websocketUrl(phone: BrowserPhone, req: FastifyRequest): string {
  if (!phone.settings.enabled) {
    throw new CallwrightError(
      'PRECONDITION',
      'sip.websocket.enabled: got false, expected true: the browser phone needs SIP over WebSocket (docs/telephony.md)',
    );
  }
  if (phone.settings.public_url) return phone.settings.public_url;
  const listener = phone.listener();
  if (!listener) {
    throw new CallwrightError(
      'PRECONDITION',
      "sip.websocket.public_url: got an empty string, expected the ws:// or wss:// URL of drachtio-server's WebSocket listener (freeswitch backend)",
    );
  }
  return `${listener.scheme}://${requestHost(req)}:${listener.port}`;
}

/**
 * POST /agents/:id/phone: a short-lived phone token for calling the agent from a browser (the dashboard's
 * "Talk to this agent"): connect to `ws_url` with subprotocol `sip`, INVITE `uri` with the token in the
 * `header` SIP header before `expires_at`. The call is then a call like any other (stored, recorded).
 */
export async function agentPhoneRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.post<{ Params: { id: string } }>(
    '/agents/:id/phone',
    {
      schema: {
        tags: ['agents'],
        summary: 'A phone token to call this agent from a browser (SIP over WebSocket + WebRTC)',
        params: IdParams,
        response: { 201: PhoneGrant, ...errorResponses },
      },
    },
    async (req, reply) => {
      const phone = deps.phone;
      if (!phone)
        throw new CallwrightError('UNAVAILABLE', 'phone: no telephony backend runs in this process');
      const agent = await deps.store.agents.byIdOrName(req.params.id);
      if (!agent) throw notFound('agent', req.params.id);
      const wsUrl = websocketUrl(phone, req);
      const { token, expiresAt } = phone.tokens.issue(agent.id);
      const host = new URL(wsUrl).hostname;
      return reply.code(201).send({
        ws_url: wsUrl,
        uri: `sip:${encodeURIComponent(agent.id)}@${host}`,
        header: PHONE_TOKEN_HEADER,
        token,
        expires_at: expiresAt.toISOString(),
      });
    },
  );
}
