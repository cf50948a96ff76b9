import type { TSchema, Static } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { CallwrightError, type FieldIssue } from '../errors.js';
import { isE164, isPhoneCountry, PHONE_COUNTRY_EXPECTED, phoneExpected } from './phone-number.js';
import { isSipUri, SIP_URI_EXPECTED } from './sip-uri-rule.js';
import { isTimeZone, TIME_ZONE_EXPECTED } from './zoned-time.js';
import {
  isDialTarget,
  isPhoneTemplate,
  isTransferTargetText,
  PHONE_TEMPLATE_EXPECTED,
  TRANSFER_TARGET_EXPECTED,
} from './dial-target.js';

// ajv-formats ships CommonJS; its default export is the plugin function.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** Shared Ajv instance: one dialect (JSON Schema via TypeBox) for config, API bodies and action configs. */
export const ajv = addFormats(
  new Ajv({ allErrors: true, strict: false, useDefaults: true, coerceTypes: false }),
);
// The phone rule (src/util/phone-number.ts) as a format, so schemas and code refuse the same numbers.
ajv.addFormat('e164', { type: 'string', validate: isE164 });
ajv.addFormat('e164-or-empty', { type: 'string', validate: (s: string) => s === '' || isE164(s) });
ajv.addFormat('time-zone', { type: 'string', validate: isTimeZone });
ajv.addFormat('phone-country', { type: 'string', validate: (s: string) => s === '' || isPhoneCountry(s) });
ajv.addFormat('sip-uri', { type: 'string', validate: isSipUri });
// Where a number or a URI may be dialled (config): the two rules above, or empty for none.
ajv.addFormat('dial-target-or-empty', {
  type: 'string',
  validate: (s: string) => s === '' || isDialTarget(s),
});
ajv.addFormat('transfer-target', { type: 'string', validate: isTransferTargetText });
ajv.addFormat('phone-template', { type: 'string', validate: isPhoneTemplate });

const cache = new WeakMap<TSchema, ValidateFunction>();

function compiled(schema: TSchema): ValidateFunction {
  let fn = cache.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    cache.set(schema, fn);
  }
  return fn;
}

function expectedFor(err: ErrorObject): string {
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'type':
      return String(p.type);
    case 'enum':
      return `one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return JSON.stringify(p.allowedValue);
    case 'minimum':
    case 'exclusiveMinimum':
      return `a number ${err.keyword === 'minimum' ? '>=' : '>'} ${String(p.limit)}`;
    case 'maximum':
    case 'exclusiveMaximum':
      return `a number ${err.keyword === 'maximum' ? '<=' : '<'} ${String(p.limit)}`;
    case 'minLength':
      return `at least ${String(p.limit)} characters`;
    case 'maxLength':
      return `at most ${String(p.limit)} characters`;
    case 'minItems':
      return `at least ${String(p.limit)} items`;
    case 'maxItems':
      return `at most ${String(p.limit)} items`;
    case 'format':
      return formatDescription(String(p.format));
    case 'pattern':
      return `a string matching ${String(p.pattern)}`;
    case 'required':
      return 'a value (required)';
    case 'additionalProperties':
      return 'no such field (unknown)';
    default:
      return err.message ?? err.keyword;
  }
}

function formatDescription(format: string): string {
  switch (format) {
    case 'e164':
      return `a valid phone number in E.164 form (${phoneExpected()})`;
    case 'e164-or-empty':
      return `a valid phone number in E.164 form (${phoneExpected()}), or empty`;
    case 'phone-template':
      return PHONE_TEMPLATE_EXPECTED;
    case 'transfer-target':
      return TRANSFER_TARGET_EXPECTED;
    case 'time-zone':
      return TIME_ZONE_EXPECTED;
    case 'phone-country':
      return `${PHONE_COUNTRY_EXPECTED} (or empty)`;
    case 'sip-uri':
      return SIP_URI_EXPECTED;
    case 'dial-target-or-empty':
      return `a phone number in E.164 form (${phoneExpected()}), ${SIP_URI_EXPECTED}, or empty`;
    case 'uri':
      return 'an absolute URL';
    case 'email':
      return 'an email address';
    case 'date-time':
      return 'an ISO 8601 date-time such as 2026-11-21T09:30:00Z';
    default:
      return `a string in ${format} format`;
  }
}

function lookup(root: unknown, pointer: string): unknown {
  if (!pointer) return root;
  let cur: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Turns Ajv errors into field issues under a prefix (`body`, `config`, …). */
export function issuesFromAjv(
  errors: ErrorObject[] | null | undefined,
  data: unknown,
  prefix: string,
): FieldIssue[] {
  const out: FieldIssue[] = [];
  const seen = new Set<string>();
  for (const err of errors ?? []) {
    // anyOf/oneOf report their branches separately; the branch errors are more useful than the summary.
    if (err.keyword === 'anyOf' || err.keyword === 'oneOf') continue;
    let path = err.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let value: unknown = lookup(data, err.instancePath);
    if (err.keyword === 'required') {
      path = [...path, String((err.params as { missingProperty: string }).missingProperty)];
      value = undefined;
    } else if (err.keyword === 'additionalProperties') {
      const extra = String((err.params as { additionalProperty: string }).additionalProperty);
      path = [...path, extra];
      value = (value as Record<string, unknown> | undefined)?.[extra];
    }
    const field = [prefix, ...path].filter(Boolean).join('.');
    const issue: FieldIssue = { field, expected: expectedFor(err) };
    if (value !== undefined) issue.value = value;
    const key = `${field}|${issue.expected}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(issue);
    }
  }
  return out;
}

/** An issue as a message: `field: got <value>, expected <what>` (`missing` where there is no value). */
export function issueMessage(issue: FieldIssue): string {
  const got = issue.value === undefined ? 'missing' : `got ${JSON.stringify(issue.value)}`;
  return `${issue.field}: ${got}, expected ${issue.expected}`;
}

/** The VALIDATION error for a non-empty list of issues: the first in the message, all in `issues`. */
export function validationError(issues: FieldIssue[]): CallwrightError {
  return new CallwrightError('VALIDATION', issueMessage(issues[0]!), issues);
}

/** Validates (and fills defaults into) `value`; throws a VALIDATION error naming each bad field. */
export function assertValid<S extends TSchema>(schema: S, value: unknown, prefix = ''): Static<S> {
  const fn = compiled(schema);
  if (!fn(value)) {
    const issues = issuesFromAjv(fn.errors, value, prefix);
    const first = issues[0];
    const message = first ? issueMessage({ ...first, field: first.field || 'value' }) : 'invalid value';
    throw new CallwrightError('VALIDATION', message, issues);
  }
  return value as Static<S>;
}

/** Non-throwing form: the issues, empty when valid. */
export function check(schema: TSchema, value: unknown, prefix = ''): FieldIssue[] {
  const fn = compiled(schema);
  return fn(value) ? [] : issuesFromAjv(fn.errors, value, prefix);
}
