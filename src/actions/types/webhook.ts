import { Type } from '@sinclair/typebox';
import { ActionError, defineActionType, type ActionContext } from '../action-type.js';
import type { FieldIssue } from '../../errors.js';
import { httpOf } from '../../integrations/integration-services.js';
import { isSuccess, retryableStatus } from '../../integrations/http/http-status.js';
import { callSnapshot } from '../../integrations/call-snapshot.js';
import { isWebhookSecret, webhookHeaders, webhookId } from '../../integrations/webhooks/standard-webhooks.js';

const WebhookConfig = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 4000, description: 'Template of the receiving URL' }),
    /** `whsec_<base64>`; when set, every delivery is signed the Standard Webhooks way. */
    secret: Type.Optional(Type.String({ maxLength: 500 })),
    event: Type.String({ default: 'call.ended', pattern: '^[a-z0-9_.-]{1,64}$' }),
    /** `call`: the call's data (record, contact, transcript, collected fields, action outputs); `template`: `template` rendered. */
    payload: Type.Union([Type.Literal('call'), Type.Literal('template')], { default: 'call' }),
    /** A Liquid template that renders to JSON (payload "template"). */
    template: Type.Optional(Type.String({ minLength: 1, maxLength: 100000 })),
    headers: Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]+$' }), Type.String({ maxLength: 4000 }), {
      default: {},
    }),
    timeout_ms: Type.Integer({ minimum: 100, maximum: 60000, default: 10000 }),
  },
  { additionalProperties: false },
);
type Config = typeof WebhookConfig.static;

function validate(config: Config): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!config.url.includes('{') && !/^https?:\/\/[^/]+/i.test(config.url)) {
    issues.push({ field: 'config.url', value: config.url, expected: 'an http:// or https:// URL' });
  }
  if (config.secret && !isWebhookSecret(config.secret)) {
    issues.push({
      field: 'config.secret',
      value: '[secret]',
      expected: 'whsec_ followed by a base64 key (at least 16 characters)',
    });
  }
  if (config.payload === 'template' && !config.template) {
    issues.push({ field: 'config.template', expected: 'a JSON template when payload is "template"' });
  }
  return issues;
}

function body(ctx: ActionContext<Config>): string {
  const { config } = ctx;
  if (config.payload === 'template') {
    try {
      return JSON.stringify(JSON.parse(config.template ?? ''));
    } catch (err) {
      throw new ActionError(
        'VALIDATION',
        `template: rendered text is not JSON (${(err as Error).message})`,
        false,
      );
    }
  }
  const snap = callSnapshot(ctx.services.store, ctx.callId, ctx.variables);
  return JSON.stringify({
    type: config.event,
    timestamp: new Date(ctx.services.clock.now()).toISOString(),
    data: {
      call: snap.call,
      contact: snap.contact,
      collected: snap.collected,
      dispositions: snap.dispositions,
      summary: snap.summary,
      transcript: snap.transcript,
      data: ctx.variables.data ?? {},
      actions: ctx.variables.actions ?? {},
    },
  });
}

async function exec(ctx: ActionContext<Config>): Promise<Record<string, unknown>> {
  const { config } = ctx;
  const payload = body(ctx);
  const id = webhookId(ctx.idempotencyKey);
  const timestamp = Math.floor(ctx.services.clock.now() / 1000);
  const res = await httpOf(ctx.services).request({
    method: 'POST',
    url: config.url,
    headers: {
      'content-type': 'application/json',
      ...config.headers,
      'idempotency-key': ctx.idempotencyKey,
      ...(config.secret
        ? webhookHeaders(config.secret, id, timestamp, payload)
        : { 'webhook-id': id, 'webhook-timestamp': String(timestamp) }),
    },
    body: payload,
    timeoutMs: config.timeout_ms,
    signal: ctx.signal,
  });
  if (!isSuccess(res.status)) {
    const host = new URL(config.url).host;
    throw new ActionError(
      'HTTP_STATUS',
      `webhook ${host} answered ${res.status}: ${res.body.slice(0, 200)}`,
      retryableStatus(res.status),
      { status: res.status },
    );
  }
  return { status: res.status, webhook_id: id };
}

/**
 * POSTs the call's data (or a JSON template) to a URL — Zapier and Make catch hooks, or any
 * receiver — signed the Standard Webhooks way. After the call it runs from the outbox, so a
 * failing receiver is retried with backoff and ends in the dead letter with its last answer.
 */
export const webhook = defineActionType({
  name: 'webhook',
  title: 'Webhook',
  description: "POSTs the call's data to a URL (Zapier, Make or your own endpoint), signed.",
  configSchema: WebhookConfig,
  stages: ['before', 'during', 'after'],
  validate,
  exec,
  simulate: () => ({ status: 200, webhook_id: 'msg_simulated' }),
});
