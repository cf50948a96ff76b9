import { Type } from '@sinclair/typebox';
import { defineActionType, type AnyActionType } from '../../actions/action-type.js';
import type { CallLeg } from '../../telephony/port.js';
import {
  checkTargetChoice,
  requireLeg,
  targetArgs,
  targetFields,
  targetFor,
} from '../targets/action-support.js';
import { trunkOf } from '../targets/call-flow-settings.js';
import type { ResolvedTarget } from '../targets/target-resolver.js';
import { coldTransfer } from '../transfer/cold-transfer.js';
import type { CallFlowDeps } from './call-flow-deps.js';
import {
  tracedTransfer,
  transferBasics,
  transferFields,
  transferOutcome,
  transferRunResult,
} from './transfer-common.js';

const ColdTransferConfig = Type.Object(
  {
    ...targetFields,
    ...transferFields,
    refer: Type.Optional(
      Type.Boolean({ default: true, description: 'Try REFER first (false = always bridge)' }),
    ),
    notify_timeout_ms: Type.Optional(
      Type.Integer({
        minimum: 1000,
        maximum: 120000,
        description: 'Wait for the final NOTIFY; default sip.refer_notify_timeout_ms',
      }),
    ),
  },
  { additionalProperties: false },
);

/** Refer-To for a single target: its SIP URI, or a number at the host the caller's leg talks to. */
function referUri(target: ResolvedTarget, leg: CallLeg, trunkHost: string | undefined): string | undefined {
  if (target.kind !== 'single') return undefined;
  const dial = target.member.dial;
  if (dial.startsWith('sip')) return dial;
  const host = trunkHost ?? leg.info.remoteAddress;
  return host ? `sip:${dial}@${host}` : undefined;
}

/**
 * Cold transfer: REFER first, bridged fallback; the disposition is set before the call leaves the agent.
 * A failed transfer leaves the caller with the agent, fires `transfer-failed` and fails the run with the
 * reason; the full outcome is on the call row (`transfer`).
 */
export function coldTransferAction(deps: CallFlowDeps): AnyActionType {
  return defineActionType({
    name: 'cold-transfer',
    title: 'Cold transfer',
    description:
      'Hands the caller to a person, number or group (REFER, or a bridged call if REFER fails); the agent leaves the call.',
    configSchema: ColdTransferConfig,
    stages: ['during'],
    needs: ['live-call', 'answered-call'],
    validate: checkTargetChoice,
    argumentSchema: targetArgs,
    async exec(ctx) {
      const leg = requireLeg(ctx);
      const target = await targetFor(ctx);
      const trunk = trunkOf(deps.settings, leg.info.trunk);
      const outcome = await tracedTransfer(ctx, 'cold', () =>
        coldTransfer({
          leg,
          target,
          ...(deps.telephony ? { telephony: deps.telephony } : {}),
          referTo:
            ctx.config.refer === false
              ? undefined
              : referUri(target, leg, trunk ? `${trunk.host}:${trunk.port}` : undefined),
          allowRefer: trunk?.allow_refer ?? true,
          referNotifyTimeoutMs: ctx.config.notify_timeout_ms ?? deps.settings.referNotifyTimeoutMs,
          ...transferBasics(ctx, leg, deps),
        }),
      );
      const status =
        outcome.bridge?.status ?? (outcome.refer.outcome === 'failed' ? outcome.refer.status : undefined);
      const typed = transferOutcome(
        'cold',
        { ...outcome, ...(status !== undefined ? { status } : {}) },
        outcome.method,
      );
      return transferRunResult(ctx, deps, outcome, typed);
    },
    simulate: (ctx) => ({
      target: ctx.config.target ?? ctx.args.target ?? '',
      method: 'refer',
      result: 'completed',
      handed_off: true,
    }),
  });
}
