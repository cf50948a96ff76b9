import { Type, type Static } from '@sinclair/typebox';
import { check, validationError } from '../util/validate.js';

/**
 * What happens when an attachment's action fails: retry up to `retries` more times with exponential
 * backoff, then `continue` with the next action, `abort` the rest of the stage, or `fallback`: say
 * `fallback_message` (a template) and continue. In every case the agent gets the typed failure.
 */
export const FailurePolicySchema = Type.Object(
  {
    retries: Type.Integer({ minimum: 0, maximum: 10, default: 0 }),
    backoff_ms: Type.Integer({ minimum: 0, maximum: 60000, default: 500 }),
    backoff_max_ms: Type.Integer({ minimum: 0, maximum: 600000, default: 10000 }),
    on_failure: Type.Union([Type.Literal('continue'), Type.Literal('abort'), Type.Literal('fallback')], {
      default: 'continue',
    }),
    fallback_message: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type FailurePolicy = Static<typeof FailurePolicySchema>;

/** Validates and fills defaults; `field` prefixes issue names (`failure_policy`). */
export function parseFailurePolicy(value: unknown, field = 'failure_policy'): FailurePolicy {
  const policy = structuredClone(value ?? {}) as Record<string, unknown>;
  const issues = check(FailurePolicySchema, policy, field);
  if (!issues.length && policy.on_failure === 'fallback' && !policy.fallback_message) {
    issues.push({ field: `${field}.fallback_message`, expected: 'a message when on_failure is "fallback"' });
  }
  if (issues.length) {
    throw validationError(issues);
  }
  return policy as FailurePolicy;
}
