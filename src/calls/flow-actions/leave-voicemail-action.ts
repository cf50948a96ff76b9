import { Type } from '@sinclair/typebox';
import { defineActionType, type ActionContext, type AnyActionType } from '../../actions/action-type.js';
import type { VoicemailEmailStatus, VoicemailOutcome } from '../../agent/agent.js';
import { requireLeg } from '../targets/action-support.js';
import { transcriptOf } from '../transfer/whisper-summary.js';
import { VOICEMAIL_EMAIL_KIND, voicemailEmailKey } from '../voicemail/voicemail-email-handler.js';
import { sendWithRetry, voicemailEmail } from '../voicemail/voicemail-email.js';
import { discardedEvent, recordVoicemail } from '../voicemail/voicemail-recorder.js';
import { voicemailsOf, type VoicemailRecord } from '../voicemail/voicemail-repository.js';
import type { CallFlowDeps } from './call-flow-deps.js';

const LeaveVoicemailConfig = Type.Object(
  {
    prompt: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1000,
        description: 'Spoken before the beep (template); default prompt otherwise',
      }),
    ),
    prompt_file: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 500,
        description: 'WAV played before the beep instead of `prompt`',
      }),
    ),
    max_duration_ms: Type.Integer({ minimum: 1000, maximum: 600000, default: 120000 }),
    silence_timeout_ms: Type.Integer({
      minimum: 0,
      maximum: 60000,
      default: 5000,
      description: '0 = never end on silence',
    }),
    end_digit: Type.String({
      pattern: '^[0-9*#]?$',
      default: '#',
      description: 'Key that ends the message; empty = none',
    }),
    min_duration_ms: Type.Integer({
      minimum: 0,
      maximum: 10000,
      default: 500,
      description: 'Shorter messages are not kept',
    }),
    silence_threshold_dbfs: Type.Optional(
      Type.Number({
        minimum: -100,
        maximum: 0,
        description:
          'A message whose loudest 50 ms is below this level (dBFS) is silence and is discarded; default calls.voicemail_silence_threshold_dbfs',
      }),
    ),
    notify_to: Type.Array(Type.String({ minLength: 3, maxLength: 254 }), {
      default: [],
      maxItems: 20,
      description: 'Email addresses told about each voicemail (templates allowed)',
    }),
    notify_subject: Type.Optional(Type.String({ maxLength: 200 })),
    email_attempts: Type.Integer({
      minimum: 1,
      maximum: 10,
      default: 3,
      description: 'Inline sending only (no outbox handler)',
    }),
  },
  { additionalProperties: false },
);

type Config = ActionContext<{
  notify_to: string[];
  notify_subject?: string;
  email_attempts: number;
}>;

async function transcriptText(ctx: Config): Promise<string | undefined> {
  const lines = await transcriptOf(ctx.services.store, ctx.callId);
  return lines.length ? lines.map((l) => `${l.speaker}: ${l.text}`).join('\n') : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Durable through the outbox when a handler runs for it, else inline with retries. Never throws: the
 * message is saved by now, so a failure to notify is reported in the outcome, not as a failed run.
 */
async function notify(
  ctx: Config,
  deps: CallFlowDeps,
  voicemail: VoicemailRecord,
): Promise<VoicemailEmailStatus> {
  const to = ctx.config.notify_to.map((t) => t.trim()).filter(Boolean);
  if (!to.length) return { status: 'none' };
  // The summary or the transcript is read from the store: what the call recorded so far is written first.
  if (ctx.callId) await deps.sink?.settled?.(ctx.callId);
  const summary = ctx.callId
    ? ((await ctx.services.store.calls.get(ctx.callId))?.summary ?? undefined)
    : undefined;
  const transcript = summary ? undefined : await transcriptText(ctx);
  const message = voicemailEmail({
    voicemail,
    to,
    publicUrl: deps.settings.publicUrl,
    ...(ctx.config.notify_subject ? { subject: ctx.config.notify_subject } : {}),
    ...(summary ? { summary } : {}),
    ...(!summary ? { transcript } : {}),
  });
  const { outbox, mailer } = ctx.services;
  if (deps.settings.durableVoicemailEmail && outbox) {
    try {
      const outboxId = await outbox.enqueue({
        idempotencyKey: voicemailEmailKey(voicemail.id),
        kind: VOICEMAIL_EMAIL_KIND,
        // The audio it attaches is on this node's disk.
        pinned: true,
        callId: ctx.callId ?? null,
        // The definition behind the run, or NULL for an agent's inline command (a real foreign key).
        actionId: ctx.definition.id,
        payload: { voicemail_id: voicemail.id, to, subject: message.subject, text: message.text },
      });
      return { status: 'queued', outbox_id: outboxId };
    } catch (err) {
      return { status: 'failed', error: errorText(err) };
    }
  }
  if (!mailer?.enabled) return { status: 'skipped', reason: 'email is not configured' };
  try {
    const { sent, attempts } = await sendWithRetry(mailer, message, {
      attempts: ctx.config.email_attempts,
      backoffMs: 500,
      signal: ctx.signal,
    });
    await voicemailsOf(ctx.services.store.sql).update(voicemail.id, {
      notified_at: new Date().toISOString(),
    });
    return { status: 'sent', message_id: sent.messageId, attempts };
  } catch (err) {
    // The message is saved; a mail relay outage is reported, not a reason to record again.
    return { status: 'failed', error: errorText(err) };
  }
}

/**
 * Leave a voicemail: prompt (custom or default), beep, record until the end key, silence or the
 * limit; the message becomes a `voicemails` row and WAV, the recipients get an email with a link to
 * the recording, and `voicemail-left` fires.
 */
export function leaveVoicemailAction(deps: CallFlowDeps): AnyActionType {
  return defineActionType({
    name: 'leave-voicemail',
    title: 'Leave a voicemail',
    description:
      'Lets the caller leave a recorded message after the beep; the message is stored and the configured people are emailed a link.',
    configSchema: LeaveVoicemailConfig,
    stages: ['during'],
    needs: ['live-call', 'answered-call'],
    // Most callers end a message by hanging up: the recording then ends (reason `hangup`) and is
    // kept, so the run completes with its outcome instead of being cancelled with the call.
    completesOnHangup: true,
    async exec(ctx) {
      const leg = requireLeg(ctx);
      const call = (ctx.variables.call ?? {}) as Record<string, unknown>;
      // Keys pressed while recording (the end key) belong to the recording, not to the agent or triggers.
      const callId = ctx.callId;
      if (callId) deps.sink?.recording?.(callId, true);
      const result = await recordVoicemail({
        leg,
        voicemails: voicemailsOf(ctx.services.store.sql),
        dir: deps.settings.voicemailDir,
        ...(ctx.config.prompt_file
          ? { prompt: { kind: 'file' as const, path: ctx.config.prompt_file } }
          : ctx.config.prompt
            ? { prompt: { kind: 'speech' as const, text: ctx.config.prompt } }
            : {}),
        maxDurationMs: ctx.config.max_duration_ms,
        silenceTimeoutMs: ctx.config.silence_timeout_ms,
        ...(ctx.config.end_digit ? { endOnDtmf: ctx.config.end_digit } : {}),
        minDurationMs: ctx.config.min_duration_ms,
        silenceThresholdDbfs:
          ctx.config.silence_threshold_dbfs ?? deps.settings.voicemailSilenceThresholdDbfs,
        ...(ctx.callId ? { callId: ctx.callId } : {}),
        ...(typeof call.agent_id === 'string' && call.agent_id ? { agentId: call.agent_id } : {}),
        from: String(call.from ?? leg.info.from.user),
        to: String(call.to ?? leg.info.to.user),
        signal: ctx.signal,
      }).finally(() => {
        if (callId) deps.sink?.recording?.(callId, false);
      });
      if (!result.saved) {
        const discarded = discardedEvent(result);
        if (discarded && callId && (await ctx.services.store.calls.get(callId)))
          await ctx.services.store.callEvents.append(callId, 'voicemail-discarded', discarded);
        return report(
          ctx,
          deps,
          result.reason === 'silent'
            ? {
                flow: 'voicemail',
                saved: false,
                reason: 'silent',
                level_dbfs: result.level.level_dbfs,
                peak_dbfs: result.level.peak_dbfs,
                threshold_dbfs: result.thresholdDbfs,
              }
            : { flow: 'voicemail', saved: false, reason: result.reason },
        );
      }
      const vm = result.voicemail;
      const detail = { voicemail_id: vm.id, duration_ms: vm.duration_ms, end: result.recording.reason };
      if (callId && (await ctx.services.store.calls.get(callId))) {
        await ctx.services.store.callEvents.append(callId, 'voicemail-left', detail);
        deps.sink?.emit(callId, { type: 'voicemail-left', detail });
      }
      const email = await notify(ctx, deps, vm);
      return report(ctx, deps, { flow: 'voicemail', saved: true, ...detail, email });
    },
    simulate: () => ({
      saved: true,
      voicemail_id: 'vm_simulated',
      duration_ms: 0,
      email: { status: 'simulated' },
    }),
  });
}

/** Tells the call the typed outcome; the run's outputs are the same fields (less the `flow` tag). */
function report(
  ctx: ActionContext<unknown>,
  deps: CallFlowDeps,
  outcome: VoicemailOutcome,
): Omit<VoicemailOutcome, 'flow'> {
  if (ctx.callId) deps.sink?.outcome?.(ctx.callId, ctx.runId, outcome);
  const { flow: _flow, ...outputs } = outcome;
  return outputs;
}
