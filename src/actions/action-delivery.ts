import {
  PermanentDeliveryError,
  type DeliveryHandler,
  type DeliveryJob,
  type DeliveryOutcome,
} from '../delivery/delivery-handler.js';
import type { ActionServices } from './action-type.js';
import type { ActionRunner } from './action-runner.js';
import type { ActionRegistry } from './registry.js';
import type { RunHistory } from './run-history.js';
import { parseFailurePolicy } from './failure-policy.js';
import type { RunSubject } from './agent-plan.js';
import { ActionError } from '../errors.js';
import { ACTION_DELIVERY_KIND } from './after-call.js';

/**
 * Delivers `action` outbox rows: runs the after-call action with the call's variables as they were
 * at the end plus the outputs of the earlier rows of the chain. One attempt per delivery; the outbox
 * does retries and backoff, and the history row written when the call ended is updated each time.
 */
export class ActionDeliveryHandler implements DeliveryHandler<'action'> {
  readonly kind = ACTION_DELIVERY_KIND;

  constructor(
    private readonly services: ActionServices,
    private readonly registry: ActionRegistry,
    private readonly runner: ActionRunner,
    private readonly history: RunHistory,
  ) {}

  /** A stored payload that does not match: the run it would have recorded in fails with the reason. */
  async undeliverable(row: { runId: string | null; attempt: number }, error: string): Promise<void> {
    if (row.runId)
      await this.history.finish(row.runId, { status: 'failed', attempts: row.attempt, error, durationMs: 0 });
  }

  async deliver(job: DeliveryJob<'action'>): Promise<DeliveryOutcome> {
    const p = job.payload;
    const { runId, prior } = job;
    const started = this.services.clock.now();
    const skipped = async (error: string): Promise<void> => {
      if (runId)
        await this.history.finish(runId, { status: 'skipped', attempts: job.attempt, error, durationMs: 0 });
    };
    const definition = job.actionId ? await this.services.store.actions.get(job.actionId) : undefined;
    if (!definition) {
      await skipped('definition deleted');
      throw new PermanentDeliveryError('the action definition no longer exists');
    }
    if (!definition.enabled) {
      await skipped('definition is disabled');
      return { result: { skipped: 'disabled' } };
    }
    const attachment = await this.services.store.attachments.get(p.attachment_id);
    const { scope } = p;
    const subject: RunSubject = {
      definitionId: definition.id,
      attachmentId: attachment?.id ?? p.attachment_id,
      name: definition.name,
      description: definition.description,
      type: this.registry.get(definition.type),
      config: definition.config,
      stage: 'after',
      policy: parseFailurePolicy(attachment?.failure_policy ?? {}),
    };
    try {
      const { outputs, rendered } = await this.runner.execOnce(
        {
          subject,
          firedBy: { kind: 'event', event: 'ended' },
          scope: { ...scope, actions: { ...((scope.actions as Record<string, unknown>) ?? {}), ...prior } },
          args: {},
          phase: 'ended',
          callId: job.callId ?? undefined,
          agentId: p.agent_id,
          contactId: p.contact_id ?? undefined,
          dryRun: false,
          signal: job.signal,
          ...(runId ? { runId } : {}),
        },
        job.attempt,
      );
      if (runId) {
        await this.history.attempt(runId, 'running', job.attempt, null, { config: rendered, args: {} });
        await this.history.finish(runId, {
          status: 'succeeded',
          outputs,
          attempts: job.attempt,
          durationMs: this.services.clock.now() - started,
        });
      }
      return { result: { outputs }, chain: { [definition.name]: outputs } };
    } catch (err) {
      const e = err instanceof ActionError ? err : new ActionError('ACTION_FAILED', String(err));
      const last = !e.retryable || job.attempt >= job.maxAttempts;
      const error = `${e.code}: ${e.message}`;
      const rendered = (err as { rendered?: unknown }).rendered;
      if (runId) {
        if (last)
          await this.history.finish(runId, {
            status: 'failed',
            attempts: job.attempt,
            error,
            durationMs: this.services.clock.now() - started,
          });
        else
          await this.history.attempt(
            runId,
            'queued',
            job.attempt,
            error,
            rendered === undefined ? undefined : { config: rendered, args: {} },
          );
      }
      throw e.retryable ? new Error(error) : new PermanentDeliveryError(error);
    }
  }
}
