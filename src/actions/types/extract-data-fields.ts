import { Type, type Static } from '@sinclair/typebox';
import type { FieldIssue } from '../../errors.js';
import { parseIsoDate } from '../../util/zoned-time.js';

/** The typed fields extract-data collects, and the checks every value passes before it is stored. */

export const FieldType = Type.Unsafe<'text' | 'number' | 'boolean' | 'enum' | 'date'>({
  type: 'string',
  enum: ['text', 'number', 'boolean', 'enum', 'date'],
});

export const ExtractField = Type.Object(
  {
    name: Type.String({
      pattern: '^[a-z][a-z0-9_]{0,63}$',
      description: 'Variable name (collected.<name>, actions.<action>.<name>)',
    }),
    type: FieldType,
    description: Type.String({
      default: '',
      maxLength: 500,
      description: 'What the field means, for the LLM',
    }),
    values: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 50 }),
    ),
    required: Type.Boolean({ default: false }),
    pattern: Type.Optional(
      Type.String({
        maxLength: 500,
        description: 'Fallback without LLM: regex; group 1 (or the match) is the value',
      }),
    ),
    keywords: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        maxItems: 50,
        description:
          'Fallback without LLM: text = what follows the phrase; number/date = found in a line with it; boolean = true when said',
      }),
    ),
    false_keywords: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        maxItems: 50,
        description: 'Fallback without LLM, boolean fields: false when one of these is said',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ExtractFieldSpec = Static<typeof ExtractField>;

export type FieldValue = string | number | boolean;

/** Save-time checks the schema cannot express. */
export function fieldIssues(fields: readonly ExtractFieldSpec[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    const at = `config.fields.${i}`;
    if (seen.has(f.name))
      issues.push({ field: `${at}.name`, value: f.name, expected: 'a name not used by another field' });
    seen.add(f.name);
    if (f.type === 'enum' && !f.values?.length) {
      issues.push({ field: `${at}.values`, expected: 'the list of allowed values (required for type enum)' });
    }
    if (f.pattern !== undefined) {
      try {
        new RegExp(f.pattern, 'i');
      } catch (err) {
        issues.push({
          field: `${at}.pattern`,
          value: f.pattern,
          expected: `a valid regular expression (${(err as Error).message})`,
        });
      }
    }
  });
  return issues;
}

/** What a field's value must look like, in words (for reports). */
export function expectedOf(f: ExtractFieldSpec): string {
  switch (f.type) {
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${(f.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'date':
      return 'a date as YYYY-MM-DD';
    default:
      return 'a text';
  }
}

/**
 * Checks one value against its field type. No coercion: a model that answers "42" for a number or
 * "maybe" for a boolean is reported, so wrong data never reaches the call record.
 */
export function checkValue(
  f: ExtractFieldSpec,
  value: unknown,
): { ok: true; value: FieldValue } | { ok: false } {
  switch (f.type) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? { ok: true, value } : { ok: false };
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : { ok: false };
    case 'enum': {
      if (typeof value !== 'string') return { ok: false };
      const match = (f.values ?? []).find((v) => v.toLowerCase() === value.trim().toLowerCase());
      return match ? { ok: true, value: match } : { ok: false };
    }
    case 'date':
      return typeof value === 'string' && parseIsoDate(value.trim())
        ? { ok: true, value: value.trim() }
        : { ok: false };
    default:
      return typeof value === 'string' && value.trim() ? { ok: true, value: value.trim() } : { ok: false };
  }
}

/** JSON Schema of the fields as tool parameters; every field nullable so "not said" has an answer. */
export function toolParameters(fields: readonly ExtractFieldSpec[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const f of fields) {
    const base: Record<string, unknown> =
      f.type === 'number'
        ? { type: ['number', 'null'] }
        : f.type === 'boolean'
          ? { type: ['boolean', 'null'] }
          : f.type === 'enum'
            ? { type: ['string', 'null'], enum: [...(f.values ?? []), null] }
            : f.type === 'date'
              ? { type: ['string', 'null'], description: 'YYYY-MM-DD' }
              : { type: ['string', 'null'] };
    const description = [
      f.description,
      f.type === 'date' ? 'Format YYYY-MM-DD.' : '',
      'null when not stated.',
    ]
      .filter(Boolean)
      .join(' ');
    properties[f.name] = { ...base, description };
  }
  return { type: 'object', properties, required: fields.map((f) => f.name), additionalProperties: false };
}

export interface Checked {
  values: Record<string, FieldValue>;
  invalid: Array<{ field: string; value: unknown; expected: string }>;
  missing: string[];
}

/** Splits proposed values into valid ones, wrong ones (reported) and missing required ones. */
export function checkAll(fields: readonly ExtractFieldSpec[], proposed: Record<string, unknown>): Checked {
  const out: Checked = { values: {}, invalid: [], missing: [] };
  for (const f of fields) {
    const raw = proposed[f.name];
    if (raw === undefined || raw === null || raw === '') {
      if (f.required) out.missing.push(f.name);
      continue;
    }
    const r = checkValue(f, raw);
    if (r.ok) out.values[f.name] = r.value;
    else out.invalid.push({ field: f.name, value: raw, expected: expectedOf(f) });
  }
  return out;
}
