import { Type } from '@sinclair/typebox';
import { ToolParametersSchema, parametersSchema } from '../tool-parameters.js';
import { defineActionType, type ActionContext } from '../action-type.js';
import type { FieldIssue } from '../../errors.js';
import { callSnapshot } from '../../integrations/call-snapshot.js';
import {
  httpUrlIssues,
  postSignedJson,
  webhookSecretIssues,
} from '../../integrations/webhooks/signed-post.js';
import { ActionError } from '../../errors.js';

const WebhookConfig = Type.Object(
  {
    parameters: Type.Optional(ToolParametersSchema),
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
  const issues: FieldIssue[] = [
    ...httpUrlIssues('config.url', config.url),
    ...webhookSecretIssues('config.secret', config.secret),
  ];
  if (config.payload === 'template' && !config.template) {
    issues.push({ field: 'config.template', expected: 'a JSON template when payload is "template"' });
  }
  return issues;
}

async function body(ctx: ActionContext<Config>): Promise<string> {
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
  const snap = await callSnapshot(ctx.services.store, ctx.callId, ctx.variables);
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
      // Fired by recording-ready: the stored recording (signed link, duration, channels).
      ...(ctx.variables.recording ? { recording: ctx.variables.recording } : {}),
      // What the agent gave when it called this webhook as a tool (config.parameters).
      ...(Object.keys(ctx.args).length ? { args: ctx.args } : {}),
    },
  });
}

async function exec(ctx: ActionContext<Config>): Promise<Record<string, unknown>> {
  const { config } = ctx;
  const sent = await postSignedJson(ctx, {
    url: config.url,
    headers: config.headers,
    payload: await body(ctx),
    secret: config.secret,
    idSeed: ctx.idempotencyKey,
    timeoutMs: config.timeout_ms,
    failCode: 'HTTP_STATUS',
    receiver: 'webhook',
  });
  return { status: sent.status, webhook_id: sent.webhookId };
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
  argumentSchema: (config) => parametersSchema(config.parameters),
  simulate: () => ({ status: 200, webhook_id: 'msg_simulated' }),
});
