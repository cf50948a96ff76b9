import { rm, stat } from 'node:fs/promises';
import type { ActionEngine } from '../../actions/action-engine.js';
import { ACTION_DELIVERY_KIND } from '../../actions/after-call.js';
import { ActionError } from '../../errors.js';
import {
  PermanentDeliveryError,
  type DeliveryHandler,
  type DeliveryJob,
  type DeliveryOutcome,
} from '../../delivery/delivery-handler.js';
import { postSignedJson } from '../../integrations/webhooks/signed-post.js';
import type { Logger } from '../../logging/logger.js';
import type { CallRecord, Store } from '../../store/store.js';
import type { RecordingSettings } from './recording-config.js';
import type { RecordingLinks } from './recording-links.js';
import type { RecordingStorage } from './recording-storage.js';

const UPLOAD_PAYLOAD = 'SELECT payload FROM outbox WHERE idempotency_key = ?';
const OUTBOX_KEY_EXISTS = 'SELECT 1 AS found FROM outbox WHERE idempotency_key = ?';

/** The `recording-ready` event as webhooks and triggered actions see it (`recording.*` in templates). */
export interface RecordingReadyEvent {
  call_id: string;
  duration_ms: number;
  paused_ms: number;
  channels: number;
  sample_rate: number;
  /** Signed link that needs no key, valid until `expires_at`. */
  url: string;
  expires_at: string;
  /** GET with the admin key. */
  api_url: string;
}

/**
 * Stores a finished recording (`recording-upload` rows): to the bucket or the local folder under its
 * key, then fills `calls.recording_path` and removes the temp file. A retry after a crash that came
 * after the upload finds the row ready and the temp file gone, and succeeds without storing twice.
 */
export class RecordingUploadHandler implements DeliveryHandler<'recording-upload'> {
  readonly kind = 'recording-upload';

  constructor(private readonly deps: { store: Store; storage: RecordingStorage; logger: Logger }) {}

  async deliver(job: DeliveryJob<'recording-upload'>): Promise<DeliveryOutcome> {
    const p = job.payload;
    const { store } = this.deps;
    const call = await store.calls.get(p.call_id);
    if (!call) throw new PermanentDeliveryError(`call ${p.call_id} no longer exists`);
    const present = await stat(p.file).then(
      () => true,
      () => false,
    );
    if (!present) {
      if (call.recording_status === 'ready' && call.recording_path)
        return { result: { location: call.recording_path } };
      await store.calls.update(p.call_id, { recording_status: 'failed' });
      throw new PermanentDeliveryError(`the recording file ${p.file} is gone`);
    }
    let location: string;
    try {
      location = await this.deps.storage.put(p.file, p.key);
    } catch (err) {
      if (job.attempt >= job.maxAttempts) await store.calls.update(p.call_id, { recording_status: 'failed' });
      throw err;
    }
    await store.calls.update(p.call_id, {
      recording_path: location,
      recording_status: 'ready',
      recording_duration_ms: p.duration_ms,
    });
    await rm(p.file, { force: true });
    this.deps.logger.info({ callId: p.call_id, storage: this.deps.storage.kind }, 'recording stored');
    return { result: { location } };
  }

  undeliverable(row: { id: number }, error: string): void {
    this.deps.logger.error({ outboxId: row.id, error }, 'recording upload row is unreadable');
  }
}

/**
 * Delivers `recording-ready` once the recording is stored (its row is chained behind the upload):
 * queues the after-stage attachments triggered by `recording-ready` as `action` rows (with
 * `recording.*` in their scope), then POSTs the event to `recording.webhook_url`, signed the
 * Standard Webhooks way. Both steps are idempotent, so a retry repeats neither.
 */
export class RecordingReadyHandler implements DeliveryHandler<'recording-ready'> {
  readonly kind = 'recording-ready';

  constructor(
    private readonly deps: {
      store: Store;
      settings: RecordingSettings;
      links: RecordingLinks;
      engine: () => ActionEngine | undefined;
    },
  ) {}

  async deliver(job: DeliveryJob<'recording-ready'>): Promise<DeliveryOutcome> {
    const p = job.payload;
    const call = await this.deps.store.calls.get(p.call_id);
    if (!call || call.recording_status !== 'ready' || !call.recording_path)
      throw new PermanentDeliveryError(`call ${p.call_id} has no stored recording`);
    const upload = await this.uploadOf(p.call_id);
    const event = this.event(call, upload);
    const engine = this.deps.engine();
    if (!engine) throw new Error('the action engine is not running yet');
    const queued = await this.queueTriggered(engine, p, event);
    const url = this.deps.settings.webhook_url;
    let webhook: { status: number; webhookId: string } | undefined;
    if (url) {
      const body = JSON.stringify({
        type: 'recording-ready',
        timestamp: new Date(engine.services.clock.now()).toISOString(),
        data: event,
      });
      try {
        webhook = await postSignedJson(
          { services: engine.services, idempotencyKey: job.idempotencyKey, signal: job.signal },
          {
            url,
            payload: body,
            ...(this.deps.settings.webhook_secret ? { secret: this.deps.settings.webhook_secret } : {}),
            idSeed: job.idempotencyKey,
            failCode: 'HTTP_STATUS',
            receiver: 'recording webhook',
          },
        );
      } catch (err) {
        if (err instanceof ActionError && !err.retryable) throw new PermanentDeliveryError(err.message);
        throw err;
      }
    }
    return { result: { actions: queued, ...(webhook ? { webhook_status: webhook.status } : {}) } };
  }

  private async uploadOf(
    callId: string,
  ): Promise<{ paused_ms: number; channels: number; sample_rate: number }> {
    const row = await this.deps.store.sql.get<{ payload: string }>(UPLOAD_PAYLOAD, [uploadKey(callId)]);
    const parsed = row ? (JSON.parse(row.payload) as Record<string, number>) : {};
    return {
      paused_ms: parsed.paused_ms ?? 0,
      channels: parsed.channels ?? 2,
      sample_rate: parsed.sample_rate ?? 8000,
    };
  }

  private event(
    call: CallRecord,
    upload: { paused_ms: number; channels: number; sample_rate: number },
  ): RecordingReadyEvent {
    const link = this.deps.links.signed(call.id);
    return {
      call_id: call.id,
      duration_ms: call.recording_duration_ms ?? 0,
      ...upload,
      url: link.url,
      expires_at: link.expires_at,
      api_url: this.deps.links.apiLink(call.id),
    };
  }

  /** One `action` row per after-stage attachment with a recording-ready trigger, in the plan's order. */
  private async queueTriggered(
    engine: ActionEngine,
    p: DeliveryJob<'recording-ready'>['payload'],
    event: RecordingReadyEvent,
  ): Promise<number> {
    const plans = (await engine.plan(p.agent_id)).filter(
      (plan) =>
        plan.attachment.stage === 'after' &&
        plan.triggers.some((t) => t.kind === 'event' && t.event === 'recording-ready'),
    );
    if (!plans.length) return 0;
    const scope = { ...p.scope, recording: event };
    const key = (attachmentId: string): string => `${p.call_id}:recording-ready:${attachmentId}`;
    const { store } = this.deps;
    return store.transaction(async () => {
      let queued = 0;
      for (const [i, plan] of plans.entries()) {
        if (await store.sql.get(OUTBOX_KEY_EXISTS, [key(plan.attachment.id)])) continue;
        const next = plans[i + 1];
        const runId = await engine.history.start({
          actionId: plan.definition.id,
          attachmentId: plan.attachment.id,
          callId: p.call_id,
          agentId: p.agent_id,
          actionType: plan.type.name,
          stage: 'after',
          trigger: { kind: 'event', event: 'recording-ready' },
          inputs: {},
          status: 'queued',
        });
        await engine.outbox.enqueue({
          idempotencyKey: key(plan.attachment.id),
          kind: ACTION_DELIVERY_KIND,
          callId: p.call_id,
          actionId: plan.definition.id,
          runId,
          maxAttempts: plan.policy.retries > 0 ? plan.policy.retries + 1 : undefined,
          blocked: i > 0,
          nextKey: next ? key(next.attachment.id) : null,
          onDead: plan.policy.on_failure === 'abort' ? 'abort' : 'continue',
          payload: {
            agent_id: p.agent_id,
            attachment_id: plan.attachment.id,
            action_name: plan.definition.name,
            contact_id: p.contact_id,
            scope,
          },
        });
        queued++;
      }
      return queued;
    });
  }
}

export function uploadKey(callId: string): string {
  return `${callId}:recording-upload`;
}

export function readyKey(callId: string): string {
  return `${callId}:recording-ready`;
}
