import { Type, type Static } from '@sinclair/typebox';
import { CallwrightError } from '../errors.js';

/**
 * What an agent whose brain is elsewhere (a webhook, a model) does when that brain fails: a line, then
 * hang up (default) or transfer. One shape for every such agent kind.
 */
export const AgentFallback = Type.Object(
  {
    say: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
    then: Type.Optional(Type.Union([Type.Literal('hangup'), Type.Literal('transfer')])),
    target: Type.Optional(Type.String({ minLength: 1, format: 'transfer-target' })),
  },
  { additionalProperties: false },
);
export type AgentFallback = Static<typeof AgentFallback>;

/** A fallback that transfers must say where to: refused on save, naming the field. */
export function checkFallback(fallback: AgentFallback | undefined, prefix: string): void {
  if (fallback?.then === 'transfer' && !fallback.target)
    throw new CallwrightError(
      'VALIDATION',
      `${prefix}.fallback.target: missing, expected a target to transfer to`,
      [{ field: `${prefix}.fallback.target`, expected: 'a named target, E.164 number or SIP URI' }],
    );
}
