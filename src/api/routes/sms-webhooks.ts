import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parse as parseQuery } from 'node:querystring';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import { CallwrightError } from '../../errors.js';
import { assertValid, validationError } from '../../util/validate.js';
import { SmsInbox, type InboundMessage } from '../../integrations/sms/sms-inbox.js';
import { verifyTwilioSignature } from '../../integrations/sms/twilio-signature.js';
import { requireApiKey } from '../auth.js';

const Params = Type.Object({ provider: Type.String({ minLength: 1, maxLength: 32 }) });
const HttpInbound = Type.Object(
  {
    from: Type.String({ minLength: 1, maxLength: 64 }),
    to: Type.String({ minLength: 1, maxLength: 64 }),
    body: Type.String({ maxLength: 10000 }),
    id: Type.Optional(Type.String({ maxLength: 200 })),
    channel: Type.Optional(Type.Union([Type.Literal('sms'), Type.Literal('whatsapp')])),
  },
  { additionalProperties: true },
);
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

function formFields(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!body || typeof body !== 'object') return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    out[k] = Array.isArray(v) ? String(v[0] ?? '') : String(v ?? '');
  }
  return out;
}

/** The URL Twilio requested, as it signed it: api.public_url when set (behind proxies), else the Host header. */
function requestedUrl(req: FastifyRequest, publicUrl: string): string {
  const base = publicUrl ? publicUrl.replace(/\/+$/, '') : `${req.protocol}://${req.host}`;
  return base + req.url;
}

async function twilioMessage(req: FastifyRequest, deps: ApiDeps): Promise<InboundMessage> {
  const fields = formFields(req.body);
  const token = deps.config.sms.twilio.auth_token;
  // Without the provider's secret the request cannot prove its origin: an API key is required instead.
  if (!token) await requireApiKey(req, deps.store.apiKeys);
  if (token) {
    const signature = req.headers['x-twilio-signature'];
    if (
      typeof signature !== 'string' ||
      !verifyTwilioSignature(token, requestedUrl(req, deps.config.api.public_url), fields, signature)
    ) {
      throw new CallwrightError(
        'FORBIDDEN',
        'X-Twilio-Signature does not match this request (check api.public_url and sms.twilio.auth_token)',
      );
    }
  }
  for (const key of ['From', 'To'] as const) {
    if (!fields[key]) throw validationError([{ field: key, expected: 'a phone number' }]);
  }
  const whatsapp = fields.From!.startsWith('whatsapp:');
  const strip = (n: string): string => n.replace(/^whatsapp:/, '');
  return {
    provider: 'twilio',
    channel: whatsapp ? 'whatsapp' : 'sms',
    from: strip(fields.From!),
    to: strip(fields.To!),
    body: fields.Body ?? '',
    providerId: fields.MessageSid ?? fields.SmsSid,
  };
}

/** Compares digests so the time taken says nothing about how much of the token matched. */
function sameToken(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const digest = (v: string): Buffer => createHash('sha256').update(v).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

async function httpMessage(req: FastifyRequest, deps: ApiDeps): Promise<InboundMessage> {
  const token = deps.config.sms.http.token;
  if (!token) await requireApiKey(req, deps.store.apiKeys);
  if (token && !sameToken(req.headers['x-webhook-token'], token)) {
    throw new CallwrightError('FORBIDDEN', 'X-Webhook-Token does not match sms.http.token');
  }
  const b = assertValid(HttpInbound, req.body ?? {}, 'body');
  return {
    provider: 'http',
    channel: b.channel ?? 'sms',
    from: b.from,
    to: b.to,
    body: b.body,
    providerId: b.id,
  };
}

/**
 * Inbound messages from SMS providers: `POST /webhooks/sms/twilio` (Twilio's form fields, signature
 * checked when sms.twilio.auth_token is set) and `POST /webhooks/sms/http` (JSON {from, to, body, id}).
 * Replies are stored, STOP/START change the contact's opt-out, and a live call gets the reply.
 */
export async function smsWebhookRoutes(
  app: FastifyInstance,
  deps: ApiDeps,
  inbox = new SmsInbox(deps.store),
): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 64 * 1024 },
      (_req, body, done) => {
        done(null, parseQuery(String(body)));
      },
    );
    scope.post(
      '/webhooks/sms/:provider',
      {
        schema: {
          tags: ['webhooks'],
          summary: 'Inbound SMS/WhatsApp from a provider (replies, STOP/START)',
          params: Params,
        },
      },
      async (req, reply) => {
        const { provider } = req.params as { provider: string };
        if (provider === 'twilio') {
          await inbox.receive(await twilioMessage(req, deps));
          return reply.type('text/xml').send(EMPTY_TWIML);
        }
        if (provider === 'http') {
          const result = await inbox.receive(await httpMessage(req, deps));
          return {
            id: result.message.id,
            opt_change: result.optChange ?? null,
            call_id: result.callId ?? null,
          };
        }
        throw new CallwrightError(
          'NOT_FOUND',
          `no SMS provider ${JSON.stringify(provider)}: use twilio or http`,
        );
      },
    );
  });
}
