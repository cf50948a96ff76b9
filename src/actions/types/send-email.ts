import { Type } from '@sinclair/typebox';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defineActionType, type ActionContext } from '../action-type.js';
import { httpOf, mailerOf } from '../../integrations/integration-services.js';
import type { MailAttachment } from '../../integrations/mail/mailer.js';
import { buildIcs } from '../../integrations/mail/ics-file.js';
import { isSuccess } from '../../integrations/http/http-status.js';
import { ActionError } from '../../errors.js';

const Addresses = Type.Union([
  Type.String({ minLength: 1, maxLength: 2000 }),
  Type.Array(Type.String({ minLength: 1, maxLength: 320 }), { minItems: 1, maxItems: 50 }),
]);

const Attachment = Type.Union([
  Type.Object(
    {
      kind: Type.Literal('recording'),
      /** Fail when the call has no recording (default: send without it). */
      required: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('ics'),
      filename: Type.Optional(Type.String({ pattern: '^[^/\\\\]{1,100}$' })),
      summary: Type.String({ minLength: 1, maxLength: 500 }),
      start: Type.String({ minLength: 1, description: 'Template of an ISO date-time' }),
      end: Type.String({ minLength: 1 }),
      description: Type.Optional(Type.String({ maxLength: 4000 })),
      location: Type.Optional(Type.String({ maxLength: 500 })),
      method: Type.Optional(Type.Union([Type.Literal('PUBLISH'), Type.Literal('REQUEST')])),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('url'),
      url: Type.String({ minLength: 1, maxLength: 4000 }),
      filename: Type.Optional(Type.String({ pattern: '^[^/\\\\]{1,200}$' })),
    },
    { additionalProperties: false },
  ),
]);

const SendEmailConfig = Type.Object(
  {
    to: Addresses,
    cc: Type.Optional(Addresses),
    subject: Type.String({ minLength: 1, maxLength: 500 }),
    body: Type.String({ minLength: 1, maxLength: 100000, description: 'Template of the plain-text body' }),
    html: Type.Optional(Type.String({ maxLength: 200000 })),
    attachments: Type.Array(Attachment, { default: [], maxItems: 10 }),
  },
  { additionalProperties: false },
);
type Config = typeof SendEmailConfig.static;
type AttachmentConfig = Config['attachments'][number];

export function addressList(value: string | string[]): string[] {
  const list = (Array.isArray(value) ? value : value.split(/[,;]/)).map((s) => s.trim()).filter(Boolean);
  for (const a of list) {
    if (!/^[^\s@<>]+@[^\s@<>]+$/.test(a))
      throw new ActionError('VALIDATION', `to: ${JSON.stringify(a)} is not an email address`, false);
  }
  if (!list.length) throw new ActionError('VALIDATION', 'to: no recipient after rendering', false);
  return list;
}

async function attachment(
  ctx: ActionContext<Config>,
  a: AttachmentConfig,
): Promise<MailAttachment | undefined> {
  if (a.kind === 'recording') {
    const file = ctx.callId ? (await ctx.services.store.calls.get(ctx.callId))?.recording_path : undefined;
    if (file && existsSync(file))
      return { filename: path.basename(file), path: file, contentType: 'audio/wav' };
    if (a.required) throw new ActionError('NO_RECORDING', 'the call has no recording to attach', true);
    return undefined;
  }
  if (a.kind === 'ics') {
    try {
      const content = buildIcs(
        {
          uid: `${ctx.idempotencyKey}@callwright`,
          start: a.start,
          end: a.end,
          summary: a.summary,
          description: a.description,
          location: a.location,
          method: a.method ?? 'REQUEST',
        },
        new Date(ctx.services.clock.now()),
      );
      return {
        filename: a.filename ?? 'invite.ics',
        content,
        contentType: `text/calendar; charset=utf-8; method=${a.method ?? 'REQUEST'}`,
      };
    } catch (err) {
      throw new ActionError('VALIDATION', `attachments (ics): ${(err as Error).message}`, false);
    }
  }
  const res = await httpOf(ctx.services).request({ method: 'GET', url: a.url, signal: ctx.signal });
  if (!isSuccess(res.status))
    throw new ActionError(
      'HTTP_STATUS',
      `attachment ${new URL(a.url).host} answered ${res.status}`,
      res.status >= 500,
    );
  const bytes = 'bytes' in res ? res.bytes : Buffer.from(res.body);
  const filename = a.filename ?? (path.basename(new URL(a.url).pathname) || 'attachment');
  return { filename, content: bytes, contentType: res.headers['content-type'] ?? 'application/octet-stream' };
}

async function exec(ctx: ActionContext<Config>): Promise<Record<string, unknown>> {
  const mailer = mailerOf(ctx.services);
  const to = addressList(ctx.config.to);
  const cc = ctx.config.cc ? addressList(ctx.config.cc) : [];
  const attachments: MailAttachment[] = [];
  for (const a of ctx.config.attachments) {
    const att = await attachment(ctx, a);
    if (att) attachments.push(att);
  }
  const sent = await mailer.send({
    to,
    ...(cc.length ? { cc } : {}),
    subject: ctx.config.subject,
    text: ctx.config.body,
    ...(ctx.config.html ? { html: ctx.config.html } : {}),
    attachments,
    headers: { 'X-Callwright-Idempotency-Key': ctx.idempotencyKey },
  });
  return {
    message_id: sent.messageId,
    accepted: sent.accepted.length,
    attachments: attachments.map((a) => a.filename),
  };
}

/** Sends a templated email over SMTP (the `mail` config) with the recording, an ICS invite or a file from a URL. */
export const sendEmail = defineActionType({
  name: 'send-email',
  title: 'Send email',
  description:
    'Sends an email (templated subject and body) with optional recording, calendar invite or file.',
  configSchema: SendEmailConfig,
  stages: ['before', 'during', 'after'],
  exec,
  simulate: (ctx) => ({
    message_id: 'simulated',
    accepted: 1,
    attachments: ctx.config.attachments.map((a) => a.kind),
  }),
});
