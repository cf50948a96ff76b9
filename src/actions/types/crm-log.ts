import { Type } from '@sinclair/typebox';
import { defineActionType, type ActionContext } from '../action-type.js';
import type { FieldIssue } from '../../errors.js';
import { crmOf } from '../../integrations/integration-services.js';
import { callSnapshot, transcriptText } from '../../integrations/call-snapshot.js';
import {
  httpUrlIssues,
  postSignedJson,
  webhookSecretIssues,
} from '../../integrations/webhooks/signed-post.js';
import { activityBody, activityOf, remoteNumber } from './crm-log-activity.js';

const CrmLogConfig = Type.Object(
  {
    provider: Type.Union([Type.Literal('hubspot'), Type.Literal('salesforce'), Type.Literal('http')]),
    subject: Type.String({
      default: 'Call with {{ contact.first_name | default: call.remote }}',
      maxLength: 255,
    }),
    /** Overrides the call's stored summary, e.g. `{{ actions.summarize.summary }}`. */
    summary: Type.Optional(Type.String({ maxLength: 20000 })),
    include: Type.Object(
      {
        transcript: Type.Boolean({ default: true }),
        summary: Type.Boolean({ default: true }),
        collected: Type.Boolean({ default: true }),
        dispositions: Type.Boolean({ default: true }),
      },
      { additionalProperties: false, default: {} },
    ),
    /** CRM contact fields to set: HubSpot property names or Salesforce Contact field names → templates. */
    contact_fields: Type.Record(
      Type.String({ pattern: '^[A-Za-z0-9_]+$' }),
      Type.String({ maxLength: 4000 }),
      {
        default: {},
      },
    ),
    create_contact: Type.Boolean({ default: true }),
    // Generic HTTP mapping (provider "http").
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
    method: Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH')], {
      default: 'POST',
    }),
    headers: Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]+$' }), Type.String({ maxLength: 4000 }), {
      default: {},
    }),
    secret: Type.Optional(Type.String({ maxLength: 500 })),
    /** The JSON to send: strings are templates that also see `transcript`, `summary` and `dispositions`. */
    body: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
type Config = typeof CrmLogConfig.static;

function validate(config: Config): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (config.provider === 'http' && !config.url) {
    issues.push({ field: 'config.url', expected: 'the URL to send to when provider is "http"' });
  }
  issues.push(...httpUrlIssues('config.url', config.url));
  issues.push(...webhookSecretIssues('config.secret', config.secret));
  return issues;
}

async function viaHttp(ctx: ActionContext<Config>, extra: Record<string, unknown>, fallback: unknown) {
  const { config } = ctx;
  const mapped =
    config.body === undefined
      ? fallback
      : ctx.services.templates.renderDeep(config.body, { ...ctx.variables, ...extra }, 'config.body');
  const sent = await postSignedJson(ctx, {
    url: config.url ?? '',
    method: config.method,
    headers: config.headers,
    payload: JSON.stringify(mapped),
    secret: config.secret,
    idSeed: ctx.idempotencyKey,
    failCode: 'CRM_ERROR',
    receiver: 'CRM endpoint',
  });
  return { provider: 'http', status: sent.status };
}

async function exec(ctx: ActionContext<Config>): Promise<Record<string, unknown>> {
  const { config } = ctx;
  const snap = await callSnapshot(ctx.services.store, ctx.callId, ctx.variables);
  const summary = config.summary ?? snap.summary;
  const body = activityBody(snap, config.include, summary);
  if (config.provider === 'http') {
    const extra = { transcript: transcriptText(snap.transcript), summary, dispositions: snap.dispositions };
    const fallback = {
      call: snap.call,
      contact: snap.contact,
      phone: remoteNumber(snap),
      subject: config.subject,
      note: body,
      ...extra,
      collected: snap.collected,
      contact_fields: config.contact_fields,
    };
    return viaHttp(ctx, extra, fallback);
  }
  const adapter = crmOf(ctx.services, config.provider);
  const result = await adapter.log(activityOf(ctx, snap, body), ctx.signal);
  return { provider: adapter.name, crm_contact_id: result.contactId, crm_record_id: result.recordId };
}

/**
 * Logs the call in a CRM: HubSpot (a note on the contact + contact properties), Salesforce (a
 * completed call Task + Contact fields) or any HTTP endpoint through a JSON mapping.
 */
export const crmLog = defineActionType({
  name: 'crm-log',
  title: 'CRM log',
  description: 'Pushes the transcript, summary, collected fields and dispositions to a CRM.',
  configSchema: CrmLogConfig,
  stages: ['during', 'after'],
  rawTemplateFields: ['body'],
  validate,
  exec,
  simulate: (ctx) => ({
    provider: ctx.config.provider,
    crm_contact_id: 'simulated',
    crm_record_id: 'simulated',
  }),
});
