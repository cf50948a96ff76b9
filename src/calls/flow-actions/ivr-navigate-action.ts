import { Type } from '@sinclair/typebox';
import { defineActionType, type AnyActionType } from '../../actions/action-type.js';
import type { IvrOutcome } from '../../agent/agent.js';
import { ActionError, CallwrightError, type FieldIssue } from '../../errors.js';
import { parseDtmfSequence } from '../ivr/dtmf-sequence.js';
import { navigateIvr } from '../ivr/ivr-navigator.js';
import { requireLeg } from '../targets/action-support.js';
import { dtmfMethodFor } from '../targets/call-flow-settings.js';
import type { CallFlowDeps } from './call-flow-deps.js';

const IvrNavigateConfig = Type.Object(
  {
    sequence: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'Digits with pauses (template): w = 500 ms, W = 1 s, e.g. 1w2ww# or {{ data.account }}#',
    }),
    initial_delay_ms: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 60000,
        description: 'Wait for the menu to start before the first digit',
      }),
    ),
    method: Type.Optional(
      Type.Union([Type.Literal('trunk'), Type.Literal('rfc4733'), Type.Literal('info')], {
        description: "trunk (default) uses the trunk's dtmf_method; rfc4733 or info force one",
      }),
    ),
    tone_ms: Type.Optional(Type.Integer({ minimum: 40, maximum: 1000, description: 'Length of each tone' })),
  },
  { additionalProperties: false },
);

/** Navigates the far end's phone menu on an outbound call, reporting exactly what it sent. */
export function ivrNavigateAction(deps: CallFlowDeps): AnyActionType {
  return defineActionType({
    name: 'ivr-navigate',
    title: 'IVR navigation',
    description:
      "Presses keys in the other side's phone menu (digits with pauses) and reports what was sent.",
    configSchema: IvrNavigateConfig,
    stages: ['during'],
    needs: ['live-call', 'answered-call'],
    validate(config) {
      if (config.sequence.includes('{')) return [];
      try {
        parseDtmfSequence(config.sequence, 'config.sequence');
        return [];
      } catch (err) {
        return err instanceof CallwrightError
          ? err.issues
          : [{ field: 'config.sequence', expected: 'a DTMF sequence' } as FieldIssue];
      }
    },
    async exec(ctx) {
      const leg = requireLeg(ctx);
      const method =
        ctx.config.method && ctx.config.method !== 'trunk'
          ? ctx.config.method
          : dtmfMethodFor(deps.settings, leg.info.trunk);
      let report;
      try {
        report = await navigateIvr(leg, ctx.config.sequence, {
          method,
          ...(ctx.config.tone_ms ? { toneMs: ctx.config.tone_ms } : {}),
          ...(ctx.config.initial_delay_ms ? { initialDelayMs: ctx.config.initial_delay_ms } : {}),
          signal: ctx.signal,
        });
      } catch (err) {
        if (err instanceof CallwrightError) throw new ActionError(err.code, err.message, false);
        throw err;
      }
      if (ctx.callId && (await ctx.services.store.calls.get(ctx.callId))) {
        await ctx.services.store.callEvents.append(ctx.callId, 'ivr-navigation', { ...report });
      }
      if (ctx.callId) {
        const outcome: IvrOutcome = {
          flow: 'ivr',
          sequence: report.sequence,
          sent: report.sent,
          method: report.method,
          status: report.status,
          duration_ms: report.durationMs,
        };
        deps.sink?.outcome?.(ctx.callId, ctx.runId, outcome);
      }
      if (report.status === 'hangup') {
        throw new ActionError(
          'HANGUP',
          `the call ended after sending ${JSON.stringify(report.sent)}`,
          false,
          {
            ...report,
          },
        );
      }
      return { ...report };
    },
    simulate: (ctx) => ({
      sequence: ctx.config.sequence,
      sent: ctx.config.sequence.replace(/[wW\s.-]/g, ''),
      status: 'completed',
    }),
  });
}
