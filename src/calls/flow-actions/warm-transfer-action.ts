import { Type } from '@sinclair/typebox';
import { defineActionType, type AnyActionType } from '../../actions/action-type.js';
import { ActionError } from '../../errors.js';
import {
  checkTargetChoice,
  requireLeg,
  targetArgs,
  targetFields,
  targetFor,
} from '../targets/action-support.js';
import { warmTransfer } from '../transfer/warm-transfer.js';
import { summaryWhisper } from '../transfer/whisper-summary.js';
import type { CallFlowDeps } from './call-flow-deps.js';
import {
  tracedTransfer,
  transferBasics,
  transferFields,
  transferOutcome,
  transferRunResult,
} from './transfer-common.js';

const DEFAULT_CONFIRM_PROMPT = 'Press 1 to accept the call, or 2 to decline.';

const WarmTransferConfig = Type.Object(
  {
    ...targetFields,
    ...transferFields,
    whisper: Type.Optional(
      Type.String({
        maxLength: 2000,
        description:
          'What the target hears before the caller joins (template); absent = a summary of the call so far',
      }),
    ),
    confirm: Type.Optional(Type.Boolean({ description: 'The target presses 1 to accept, 2 to decline' })),
    confirm_prompt: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    confirm_timeout_ms: Type.Optional(Type.Integer({ minimum: 1000, maximum: 60000, default: 10000 })),
    hold_music: Type.Optional(
      Type.String({ minLength: 1, maxLength: 500, description: 'WAV the caller hears on hold' }),
    ),
    voice: Type.Optional(Type.String({ maxLength: 100, description: 'Voice of the whisper' })),
  },
  { additionalProperties: false },
);

/**
 * Warm transfer: the caller waits on hold while the target is called and briefed (whisper); the
 * caller joins only once the target is there (and accepts, with `confirm`). Otherwise the caller comes
 * back to the agent: the run fails with the reason and `transfer-failed` fires.
 */
export function warmTransferAction(deps: CallFlowDeps): AnyActionType {
  return defineActionType({
    name: 'warm-transfer',
    title: 'Warm transfer',
    description:
      'Puts the caller on hold, calls a person or group and briefs them, then connects the caller; if nobody takes it the caller returns to the agent.',
    configSchema: WarmTransferConfig,
    stages: ['during'],
    needs: ['live-call', 'answered-call'],
    validate: checkTargetChoice,
    argumentSchema: targetArgs,
    async exec(ctx) {
      const leg = requireLeg(ctx);
      const { telephony } = deps;
      if (!telephony)
        throw new ActionError('UNAVAILABLE', 'no telephony service to place the call to the target', false);
      const target = await targetFor(ctx);
      const call = (ctx.variables.call ?? {}) as Record<string, unknown>;
      // The summary reads the transcript from the store: the lines heard so far are written first.
      if (!ctx.config.whisper && ctx.callId) await deps.sink?.settled?.(ctx.callId);
      const whisper =
        ctx.config.whisper ??
        (await summaryWhisper({
          store: ctx.services.store,
          callId: ctx.callId,
          caller: String(call.remote ?? call.from ?? '') || undefined,
          collected: (ctx.variables.collected ?? {}) as Record<string, unknown>,
          ...(ctx.services.summarizer ? { summarizer: ctx.services.summarizer } : {}),
          signal: ctx.signal,
        }));
      const outcome = await tracedTransfer(ctx, 'warm', () =>
        warmTransfer({
          leg,
          target,
          telephony,
          ...transferBasics(ctx, leg, deps),
          ...(ctx.config.hold_music ? { holdMusic: { kind: 'file', path: ctx.config.hold_music } } : {}),
          whisper,
          ...(ctx.config.voice ? { voice: ctx.config.voice } : {}),
          ...(ctx.config.confirm
            ? {
                confirm: {
                  prompt: ctx.config.confirm_prompt ?? DEFAULT_CONFIRM_PROMPT,
                  timeoutMs: ctx.config.confirm_timeout_ms ?? 10_000,
                },
              }
            : {}),
        }),
      );
      // A warm transfer only ever bridges; `none` when no target leg was tried (the caller had left).
      const method = outcome.attempts.length ? 'bridge' : 'none';
      return transferRunResult(ctx, deps, outcome, transferOutcome('warm', outcome, method));
    },
    simulate: (ctx) => ({
      target: ctx.config.target ?? ctx.args.target ?? '',
      result: 'connected',
      handed_off: true,
    }),
  });
}
