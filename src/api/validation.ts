import type { FastifySchemaCompiler } from 'fastify';
import type { FastifyError } from 'fastify';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ajv as bodyAjv, issueMessage, issuesFromAjv } from '../util/validate.js';
import { CallwrightError } from '../errors.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Query strings and path params arrive as strings: coerce them. Bodies are JSON: never coerce, never strip. */
const coercingAjv = addFormats(
  new Ajv({ allErrors: true, strict: false, useDefaults: true, coerceTypes: 'array' }),
);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const instance = httpPart === 'body' ? bodyAjv : coercingAjv;
  const fn = instance.compile(schema as object);
  return (data: unknown) => {
    if (fn(data)) return { value: data };
    const part = httpPart === 'querystring' ? 'query' : (httpPart ?? 'body');
    const issues = issuesFromAjv(fn.errors, data, part);
    const first = issues[0];
    const message = first ? issueMessage(first) : 'invalid request';
    return { error: new CallwrightError('VALIDATION', message, issues) as unknown as Error };
  };
};

/** Maps any thrown error to the catalog shape `{ code, message, issues? }`. */
export function toApiError(err: unknown): { status: number; body: Record<string, unknown> } {
  if (err instanceof CallwrightError) return { status: err.status, body: err.toJSON() };
  const fe = err as FastifyError;
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode < 500) {
    const code = fe.statusCode === 404 ? 'NOT_FOUND' : fe.statusCode === 415 ? 'VALIDATION' : 'VALIDATION';
    const message =
      fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'body: expected Content-Type application/json'
        : fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
          ? 'body: got an empty body, expected a JSON object'
          : (fe.message ?? 'bad request');
    return { status: fe.statusCode, body: { code, message } };
  }
  return { status: 500, body: { code: 'INTERNAL', message: 'internal error' } };
}
