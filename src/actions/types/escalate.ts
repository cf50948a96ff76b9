import { Type } from '@sinclair/typebox';
import { defineActionType, type ActionContext } from '../action-type.js';
import type { FieldIssue } from '../../errors.js';
import { mailerOf } from '../../integrations/integration-services.js';
import { callSnapshot, transcriptText, type CallSnapshot } from '../../integrations/call-snapshot.js';
import {
  httpUrlIssues,
  postSignedJson,
  webhookSecretIssues,
} from '../../integrations/webhooks/signed-post.js';
import { addressList } from './send-email.js';
import { remoteNumber } from './crm-log-activity.js';

const EscalateConfig = Type.Object(
  {
    /** Team mailbox(es) to notify. */
    email: Type.Optional(
      Type.Union([
        Type.String({ minLength: 1, maxLength: 2000 }),
        Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
      ]),
    ),
    /** Team webhook (Slack/Teams relay, Zapier, PagerDuty bridge …), signed when `secret` is set. */
    webhook_url: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
    secret: Type.Optional(Type.String({ maxLength: 500 })),
    reason: Type.String({ default: 'The caller needs a person', maxLength: 2000 }),
    priority: Type.Union(
      ['low', 'normal', 'high', 'urgent'].map((p) => Type.Literal(p)),
      { default: 'high' },
    ),
    subject: Type.String({
      default: 'Escalation: {{ contact.first_name | default: call.remote }}',
      maxLength: 500,
    }),
  },
  { additionalProperties: false },
);
type Config = typeof EscalateConfig.static;

function validate(config: Config): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!config.email && !config.webhook_url) {
    issues.push({ field: 'config.email', expected: 'an email address and/or config.webhook_url to notify' });
  }
  issues.push(...httpUrlIssues('config.webhook_url', config.webhook_url));
  issues.push(...webhookSecretIssues('config.secret', config.secret));
  return issues;
}

function contactLines(snap: CallSnapshot): string {
  const c = snap.contact;
  const name = [c.first_name, c.last_name].filter((v) => typeof v === 'string' && v).join(' ');
  return [
    `Name: ${name || 'unknown'}`,
    `Phone: ${remoteNumber(snap) || 'unknown'}`,
    ...(c.email ? [`Email: ${String(c.email)}`] : []),
  ].join('\n');
}

function mailText(ctx: ActionContext<Config>, snap: CallSnapshot, link: string): string {
  return [
    `Priority: ${ctx.config.priority}`,
    `Reason: ${ctx.config.reason}`,
    '',
    contactLines(snap),
    '',
    ...(link ? [`Call: ${link}`, ''] : []),
    ...(snap.summary ? ['Summary:', snap.summary, ''] : []),
    'Transcript:',
    transcriptText(snap.transcript) || '(no transcript yet)',
  ].join('\n');
}

async function notifyWebhook(ctx: ActionContext<Config>, snap: CallSnapshot, link: string): Promise<number> {
  const url = ctx.config.webhook_url ?? '';
  const payload = JSON.stringify({
    type: 'call.escalated',
    timestamp: new Date(ctx.services.clock.now()).toISOString(),
    data: {
      priority: ctx.config.priority,
      reason: ctx.config.reason,
      call_url: link,
      call: snap.call,
      contact: snap.contact,
      summary: snap.summary,
      transcript: snap.transcript,
    },
  });
  const sent = await postSignedJson(ctx, {
    url,
    payload,
    secret: ctx.config.secret,
    idSeed: `${ctx.idempotencyKey}:escalate`,
    failCode: 'HTTP_STATUS',
    receiver: 'escalation webhook',
  });
  return sent.status;
}

async function exec(ctx: ActionContext<Config>): Promise<Record<string, unknown>> {
  const snap = await callSnapshot(ctx.services.store, ctx.callId, ctx.variables);
  const base = ctx.services.publicUrl ?? '';
  const link = ctx.callId && base ? `${base}/calls/${encodeURIComponent(ctx.callId)}` : '';
  const out: Record<string, unknown> = { call_url: link, priority: ctx.config.priority };
  if (ctx.config.email) {
    const sent = await mailerOf(ctx.services).send({
      to: addressList(ctx.config.email),
      subject: ctx.config.subject,
      text: mailText(ctx, snap, link),
      headers: {
        'X-Callwright-Idempotency-Key': ctx.idempotencyKey,
        'X-Priority': ctx.config.priority === 'urgent' || ctx.config.priority === 'high' ? '1' : '3',
      },
    });
    out.email_message_id = sent.messageId;
  }
  if (ctx.config.webhook_url) out.webhook_status = await notifyWebhook(ctx, snap, link);
  return out;
}

/** Notifies a team by email and/or webhook with the reason, contact, transcript and a link to the call. */
export const escalate = defineActionType({
  name: 'escalate',
  title: 'Escalate',
  description:
    'Notifies a team (email and/or webhook) that this call needs a person, with transcript and a link.',
  configSchema: EscalateConfig,
  stages: ['during', 'after'],
  argumentSchema: () =>
    Type.Object(
      { reason: Type.Optional(Type.String({ maxLength: 2000, description: 'Why a person is needed' })) },
      { additionalProperties: false },
    ),
  validate,
  exec: (ctx) =>
    exec(
      typeof ctx.args.reason === 'string' && ctx.args.reason
        ? { ...ctx, config: { ...ctx.config, reason: ctx.args.reason } }
        : ctx,
    ),
  simulate: (ctx) => ({ call_url: ctx.callId ? `/calls/${ctx.callId}` : '', priority: ctx.config.priority }),
});
