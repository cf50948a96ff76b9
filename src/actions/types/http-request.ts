import { Type } from '@sinclair/typebox';
import { ToolParametersSchema, parametersSchema } from '../tool-parameters.js';
import { defineActionType, type ActionContext } from '../action-type.js';
import type { FieldIssue } from '../../errors.js';
import { httpOf } from '../../integrations/integration-services.js';
import { isSuccess, parseJsonBody, retryableStatus } from '../../integrations/http/http-status.js';
import { httpUrlIssues } from '../../integrations/webhooks/signed-post.js';
import { compileJsonPath, JsonPathError, selectJsonPath } from '../../integrations/http/json-path.js';
import { authHeaders, authIssues, HttpAuthSchema, type HttpAuth } from './http-request-auth.js';
import { ActionError } from '../../errors.js';

const VARIABLE = '^[a-z_][a-z0-9_]{0,63}$';

const HttpRequestConfig = Type.Object(
  {
    parameters: Type.Optional(ToolParametersSchema),
    method: Type.Union(
      ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((m) => Type.Literal(m)),
      { default: 'GET' },
    ),
    url: Type.String({ minLength: 1, maxLength: 4000, description: 'Template of the URL (http or https)' }),
    headers: Type.Record(Type.String({ pattern: '^[A-Za-z0-9-]+$' }), Type.String({ maxLength: 4000 }), {
      default: {},
    }),
    query: Type.Record(Type.String({ minLength: 1 }), Type.String({ maxLength: 4000 }), { default: {} }),
    body_type: Type.Union([Type.Literal('json'), Type.Literal('form'), Type.Literal('text')], {
      default: 'json',
      description: 'json: body as JSON; form: body fields url-encoded; text: body is a template string',
    }),
    body: Type.Optional(
      Type.Unknown({ description: 'JSON value (strings are templates) or a text template' }),
    ),
    auth: Type.Optional(HttpAuthSchema),
    timeout_ms: Type.Integer({ minimum: 100, maximum: 60000, default: 5000 }),
    /** Variable name → JSONPath into the JSON response: `{ order_status: "$.order.status" }`. */
    response_map: Type.Record(
      Type.String({ pattern: VARIABLE }),
      Type.String({ minLength: 1, maxLength: 500 }),
      {
        default: {},
      },
    ),
    /** Non-2xx answers fail the run (retried by the policy for 408/429/5xx); false returns them as outputs. */
    fail_on_status: Type.Boolean({ default: true }),
    /** Said to the caller while the request runs (during a live call). */
    filler: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  },
  { additionalProperties: false },
);

function validate(config: {
  method: string;
  url: string;
  body?: unknown;
  body_type: string;
  auth?: HttpAuth;
  response_map: Record<string, string>;
}): FieldIssue[] {
  const issues: FieldIssue[] = [...authIssues(config.auth), ...httpUrlIssues('config.url', config.url)];
  if (config.body !== undefined && (config.method === 'GET' || config.method === 'DELETE')) {
    issues.push({ field: 'config.body', expected: `no body with ${config.method} (use query)` });
  }
  if (
    config.body_type === 'form' &&
    config.body !== undefined &&
    (typeof config.body !== 'object' || Array.isArray(config.body))
  ) {
    issues.push({
      field: 'config.body',
      value: config.body,
      expected: 'an object of fields when body_type is "form"',
    });
  }
  if (config.body_type === 'text' && config.body !== undefined && typeof config.body !== 'string') {
    issues.push({ field: 'config.body', value: config.body, expected: 'a string when body_type is "text"' });
  }
  for (const [name, path] of Object.entries(config.response_map)) {
    try {
      compileJsonPath(path);
    } catch (err) {
      if (!(err instanceof JsonPathError)) throw err;
      issues.push({
        field: `config.response_map.${name}`,
        value: path,
        expected: `a JSONPath such as $.order.status (${err.message})`,
      });
    }
  }
  return issues;
}

type Config = ActionContext<typeof HttpRequestConfig.static>['config'];

function encodeBody(config: Config): { body?: string; contentType?: string } {
  if (config.body === undefined) return {};
  if (config.body_type === 'text')
    return { body: String(config.body), contentType: 'text/plain; charset=utf-8' };
  if (config.body_type === 'form') {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(config.body as Record<string, unknown>))
      form.append(k, typeof v === 'string' ? v : JSON.stringify(v));
    return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
  }
  return { body: JSON.stringify(config.body), contentType: 'application/json' };
}

function withQuery(url: string, query: Record<string, string>): string {
  if (!Object.keys(query).length) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ActionError(
      'VALIDATION',
      `url: rendered to ${JSON.stringify(url.slice(0, 200))}, expected an http(s) URL`,
      false,
    );
  }
  for (const [k, v] of Object.entries(query)) parsed.searchParams.append(k, v);
  return parsed.toString();
}

/** Maps the JSON response into variables; a path that matches nothing gives null. */
function mapResponse(map: Record<string, string>, json: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(map)) out[name] = selectJsonPath(path, json) ?? null;
  return out;
}

async function sayFiller(ctx: ActionContext<Config>): Promise<void> {
  if (!ctx.config.filler || !ctx.call || ctx.phase !== 'answered') return;
  try {
    await ctx.call.say(ctx.config.filler, { signal: ctx.signal });
  } catch {
    // The filler is a courtesy: a failed or interrupted prompt must not fail the request.
  }
}

async function exec(ctx: ActionContext<Config>): Promise<Record<string, unknown>> {
  const { config } = ctx;
  const { body, contentType } = encodeBody(config);
  const url = withQuery(config.url, config.query);
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(contentType ? { 'content-type': contentType } : {}),
    'idempotency-key': ctx.idempotencyKey,
    ...config.headers,
    ...authHeaders(config.auth, body ?? '', Math.floor(ctx.services.clock.now() / 1000)),
  };
  const filler = sayFiller(ctx);
  const request = httpOf(ctx.services).request({
    method: config.method,
    url,
    headers,
    body,
    timeoutMs: config.timeout_ms,
    signal: ctx.signal,
  });
  const [res] = await Promise.all([request, filler]);
  const json = parseJsonBody(res.body);
  if (!isSuccess(res.status) && config.fail_on_status) {
    throw new ActionError(
      'HTTP_STATUS',
      `${config.method} ${new URL(url).host} answered ${res.status}: ${res.body.slice(0, 200)}`,
      retryableStatus(res.status),
      { status: res.status },
    );
  }
  return { status: res.status, ok: isSuccess(res.status), ...mapResponse(config.response_map, json) };
}

/**
 * A custom HTTP call: templated method, URL, headers, query and body; bearer, basic or HMAC auth;
 * the JSON answer mapped into variables by JSONPath for the agent and later actions. During a call
 * it can run while the agent says a filler line. Every request goes through the outbound HTTP guard.
 */
export const httpRequest = defineActionType({
  name: 'http-request',
  title: 'HTTP request',
  description: 'Calls an HTTP API and maps fields of its JSON answer into variables.',
  configSchema: HttpRequestConfig,
  stages: ['before', 'during', 'after'],
  validate,
  exec,
  argumentSchema: (config) => parametersSchema(config.parameters),
  simulate: (ctx) => ({
    status: 200,
    ok: true,
    ...Object.fromEntries(Object.keys(ctx.config.response_map).map((k) => [k, `<${k}>`])),
  }),
});
