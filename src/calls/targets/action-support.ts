import { Type, type TObject } from '@sinclair/typebox';
import { type ActionContext } from '../../actions/action-type.js';
import { CallwrightError, type FieldIssue, ActionError } from '../../errors.js';
import type { CallLeg } from '../../telephony/port.js';
import { resolveTarget, TARGET_FORMS, type ResolvedTarget } from './target-resolver.js';

/** The caller's leg from the call handle; the engine has already checked live-call and answered-call. */
export function requireLeg(ctx: ActionContext<unknown>): CallLeg {
  const leg = ctx.call?.leg;
  if (!leg) throw new ActionError('PRECONDITION', 'the call exposes no telephony leg to act on', false);
  if (!leg.active) throw new ActionError('PRECONDITION', 'the caller has already hung up', false);
  return leg;
}

export function agentIdOf(ctx: ActionContext<unknown>): string | undefined {
  const call = ctx.variables.call as Record<string, unknown> | undefined;
  return typeof call?.agent_id === 'string' && call.agent_id ? call.agent_id : undefined;
}

/** Config shared by the transfer types: a fixed (templated) target, or names the agent picks from. */
export interface TargetChoice {
  target?: string;
  allowed_targets?: string[];
}

export const targetFields = {
  target: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 500,
      format: 'transfer-target',
      description:
        'Where to transfer (template): +E164, sip:URI, user:<name>, line:<name>, ring_group:<name>, ' +
        'or a named agent target (sales); absent = the agent chooses from allowed_targets',
    }),
  ),
  allowed_targets: Type.Optional(
    Type.Array(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), {
      minItems: 1,
      maxItems: 20,
      description: "Names of the agent's targets it may choose from when `target` is absent",
    }),
  ),
};

export function checkTargetChoice(config: TargetChoice): FieldIssue[] {
  if (config.target || config.allowed_targets?.length) return [];
  return [{ field: 'config.target', expected: `a target (${TARGET_FORMS}) or config.allowed_targets` }];
}

/** The tool argument the agent fills in when the definition leaves the target open. */
export function targetArgs(config: TargetChoice): TObject | undefined {
  if (config.target) return undefined;
  const names = config.allowed_targets ?? [];
  return Type.Object(
    {
      target: names.length
        ? Type.Union(
            names.map((n) => Type.Literal(n)),
            { description: 'Which target to transfer to' },
          )
        : Type.String({ minLength: 1, maxLength: 200, description: 'Which target to transfer to' }),
    },
    { additionalProperties: false },
  );
}

/** Resolves the configured or chosen target; an unresolvable one is a non-retryable typed failure. */
export async function targetFor(ctx: ActionContext<TargetChoice>): Promise<ResolvedTarget> {
  const ref = ctx.config.target ?? (typeof ctx.args.target === 'string' ? ctx.args.target : '');
  try {
    return await resolveTarget(ctx.services.store, ref, { agentId: agentIdOf(ctx), field: 'config.target' });
  } catch (err) {
    if (err instanceof CallwrightError) throw new ActionError('TARGET_UNRESOLVED', err.message, false);
    throw err;
  }
}
