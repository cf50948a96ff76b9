import { CallwrightError, ActionError } from '../errors.js';
import type { Stage } from '../store/store.js';
import type { TemplateScope } from '../templates/template-renderer.js';
import {
  type ActionContext,
  type ActionOutputs,
  type ActionServices,
  type CallHandle,
  type CallState,
} from './action-type.js';
import type { RunSubject } from './agent-plan.js';
import type { RunHistory } from './run-history.js';
import type { FiredBy } from './triggers/trigger.js';
import { backoffDelay } from '../util/backoff.js';
import { runKey } from './idempotency-keys.js';
import { markFailed, noTracing, type Attributes } from '../observability/tracing.js';

/** The typed failure an agent receives (and the stage result carries). */
export interface ActionFailure {
  code: string;
  message: string;
  retryable: boolean;
}

export interface RunResult {
  action: string;
  /** null for an inline run (no definition). */
  actionId: string | null;
  attachmentId: string | null;
  type: string;
  stage: Stage;
  firedBy: FiredBy;
  status: 'succeeded' | 'failed' | 'cancelled' | 'skipped';
  outputs: ActionOutputs;
  /** The config as rendered for this run (what simulation prints). */
  rendered?: Record<string, unknown>;
  error?: ActionFailure;
  attempts: number;
  durationMs: number;
  runId?: string;
}

export interface RunRequest {
  subject: RunSubject;
  firedBy: FiredBy;
  scope: TemplateScope;
  args: Record<string, unknown>;
  phase: CallState;
  /** Set when the run is refused before it starts (an inline config the type rejects): recorded as failed. */
  refused?: ActionFailure;
  callId?: string;
  agentId?: string;
  contactId?: string;
  call?: CallHandle;
  dryRun: boolean;
  signal: AbortSignal;
  /** The run's history row; its id is the run's idempotency key (set by `run`, or by the outbox row). */
  runId?: string;
  /** Registered so the session can kill the run. */
  onStart?: (kill: (reason: string) => void) => () => void;
}

function toFailure(err: unknown): ActionFailure {
  if (err instanceof ActionError) return { code: err.code, message: err.message, retryable: err.retryable };
  if (err instanceof CallwrightError) return { code: err.code, message: err.message, retryable: false };
  return {
    code: 'ACTION_FAILED',
    message: err instanceof Error ? err.message : String(err),
    retryable: true,
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    // The listener goes when the wait ends, so retries do not pile listeners on the call's signal.
    const onAbort = (): void => (clearTimeout(t), resolve());
    const t = setTimeout(() => (signal.removeEventListener('abort', onAbort), resolve()), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Races a run against its abort signal so a type that ignores the signal cannot hold the stage. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void =>
      reject(new ActionError('CANCELLED', `cancelled: ${String(signal.reason ?? 'killed')}`, false));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * The span attributes of a run: type, definition name, stage and what fired it. Intent lines, keys
 * pressed and condition text stay out (they can carry what the caller said or typed: PII).
 */
function runAttributes(req: RunRequest): Attributes {
  const by = req.firedBy;
  const detail =
    by.kind === 'stage'
      ? by.stage
      : by.kind === 'tool'
        ? by.name
        : by.kind === 'event'
          ? by.event
          : by.kind === 'command'
            ? by.command
            : undefined;
  return {
    'callwright.action.type': req.subject.type.name,
    'callwright.action.name': req.subject.name,
    'callwright.action.stage': req.subject.stage,
    'callwright.action.trigger': detail ? `${by.kind}:${detail}` : by.kind,
  };
}

/**
 * Runs one planned action: preconditions, template rendering, exec with retries and backoff, the
 * history row. Never throws: the outcome, including a typed failure, is in the result.
 */
export class ActionRunner {
  constructor(
    private readonly services: ActionServices,
    private readonly history: RunHistory,
  ) {}

  precondition(req: RunRequest): ActionFailure | undefined {
    for (const need of req.subject.type.needs ?? []) {
      if (
        need === 'contact' &&
        !req.contactId &&
        !(req.dryRun && req.scope.contact && Object.keys(req.scope.contact).length)
      ) {
        return { code: 'PRECONDITION', message: 'needs a contact linked to the call', retryable: false };
      }
      if (need === 'live-call' && !req.call && !req.dryRun) {
        return { code: 'PRECONDITION', message: 'needs a live call', retryable: false };
      }
      if (need === 'answered-call' && req.phase !== 'answered') {
        return {
          code: 'PRECONDITION',
          message: `needs an answered call (the call is ${req.phase})`,
          retryable: false,
        };
      }
    }
    return undefined;
  }

  render(req: RunRequest): Record<string, unknown> {
    const skip = new Set((req.subject.type.rawTemplateFields ?? []).map((f) => `config.${f}`));
    const scope = { ...req.scope, args: req.args };
    return this.services.templates.renderDeep(req.subject.config, scope, 'config', skip);
  }

  context(
    req: RunRequest,
    config: Record<string, unknown>,
    attempt: number,
    signal: AbortSignal,
    runId = req.runId,
  ): ActionContext {
    const { subject } = req;
    return {
      definition: {
        id: subject.definitionId,
        name: subject.name,
        type: subject.type.name,
        description: subject.description,
        config: subject.config,
      },
      config,
      args: req.args,
      variables: { ...req.scope, args: req.args },
      stage: subject.stage,
      firedBy: req.firedBy,
      callId: req.callId,
      contactId: req.contactId,
      call: req.call,
      phase: req.phase,
      services: this.services,
      signal,
      ...(runId ? { runId } : {}),
      idempotencyKey: runKey(req.callId, runId ?? 'dry-run'),
      attempt,
      state: new Map(),
    };
  }

  /** Runs the action in an `action` span of its call's trace (when tracing is on; dry runs never are). */
  async run(req: RunRequest): Promise<RunResult> {
    const tracing = this.services.tracing ?? noTracing;
    if (!tracing.enabled || req.dryRun) return this.runAndRecord(req);
    return tracing.span(
      'action',
      { callId: req.callId ?? null, attributes: runAttributes(req) },
      async (span) => {
        const result = await this.runAndRecord(req);
        span.setAttributes({
          'callwright.action.status': result.status,
          'callwright.action.attempts': result.attempts,
        });
        if (result.status === 'failed') markFailed(span, result.error?.code ?? 'failed');
        return result;
      },
    );
  }

  private async runAndRecord(req: RunRequest): Promise<RunResult> {
    const { subject } = req;
    const started = this.services.clock.now();
    const base = {
      action: subject.name,
      actionId: subject.definitionId,
      attachmentId: subject.attachmentId,
      type: subject.type.name,
      stage: subject.stage,
      firedBy: req.firedBy,
    };
    const current = subject.definitionId
      ? await this.services.store.actions.get(subject.definitionId)
      : undefined;
    if (subject.definitionId !== null && !current?.enabled) {
      return {
        ...base,
        status: 'skipped',
        outputs: {},
        attempts: 0,
        durationMs: 0,
        error: { code: 'DISABLED', message: 'definition is disabled', retryable: false },
      };
    }
    const done = (r: Omit<RunResult, keyof typeof base | 'durationMs'>): RunResult => ({
      ...base,
      ...r,
      durationMs: this.services.clock.now() - started,
    });
    const pre = req.refused ?? this.precondition(req);
    let rendered: Record<string, unknown>;
    try {
      if (pre) throw new ActionError(pre.code, pre.message, false);
      rendered = this.render(req);
    } catch (err) {
      const error = toFailure(err);
      if (!req.dryRun) {
        const runId = await this.startRun(
          req,
          req.refused ? { config: subject.config, args: req.args } : { args: req.args },
        );
        await this.history.finish(runId, {
          status: 'failed',
          attempts: 0,
          error: `${error.code}: ${error.message}`,
          durationMs: 0,
        });
        return done({ status: 'failed', outputs: {}, error, attempts: 0, runId });
      }
      return done({ status: 'failed', outputs: {}, error, attempts: 0 });
    }
    if (req.dryRun) {
      const ctx = this.context(req, rendered, 1, req.signal);
      return done({
        status: 'succeeded',
        outputs: subject.type.simulate?.(ctx) ?? {},
        rendered,
        attempts: 0,
      });
    }
    const runId = await this.startRun(req, { config: rendered, args: req.args });
    const { outcome, attempts } = await this.attempts({ ...req, runId }, rendered);
    if ('outputs' in outcome) {
      await this.history.finish(runId, {
        status: 'succeeded',
        outputs: outcome.outputs,
        attempts,
        durationMs: this.services.clock.now() - started,
      });
      return done({ status: 'succeeded', outputs: outcome.outputs, rendered, attempts, runId });
    }
    const status = outcome.error.code === 'CANCELLED' ? 'cancelled' : 'failed';
    await this.history.finish(runId, {
      status,
      attempts,
      error: `${outcome.error.code}: ${outcome.error.message}`,
      durationMs: this.services.clock.now() - started,
    });
    return done({ status, outputs: {}, rendered, error: outcome.error, attempts, runId });
  }

  /**
   * One attempt, for queued (after-call) runs whose retries the outbox schedules: preconditions,
   * rendering and exec; the caller records history. Throws the typed failure.
   */
  async execOnce(
    req: RunRequest,
    attempt: number,
  ): Promise<{ outputs: ActionOutputs; rendered: Record<string, unknown> }> {
    const tracing = this.services.tracing ?? noTracing;
    if (!tracing.enabled) return this.execOnceBody(req, attempt);
    // Its parent is the active span: the outbox delivery continuing the call's trace.
    const attributes = { ...runAttributes(req), 'callwright.action.attempt': attempt };
    return tracing.span('action', { attributes }, async (span) => {
      const out = await this.execOnceBody(req, attempt);
      span.setAttribute('callwright.action.status', 'succeeded');
      return out;
    });
  }

  private async execOnceBody(
    req: RunRequest,
    attempt: number,
  ): Promise<{ outputs: ActionOutputs; rendered: Record<string, unknown> }> {
    const pre = this.precondition(req);
    if (pre) throw new ActionError(pre.code, pre.message, false);
    let rendered: Record<string, unknown>;
    try {
      rendered = this.render(req);
    } catch (err) {
      const f = toFailure(err);
      throw new ActionError(f.code, f.message, false);
    }
    const ctx = this.context(req, rendered, attempt, req.signal);
    try {
      const outputs = await untilAborted(req.subject.type.exec(ctx), req.signal);
      return { outputs: outputs ?? {}, rendered };
    } catch (err) {
      const f = toFailure(err);
      throw Object.assign(new ActionError(f.code, f.message, f.retryable), { rendered });
    }
  }

  /** Opens the run's history row; `inputs` are stored with PII redacted. */
  private startRun(req: RunRequest, inputs: Record<string, unknown>): Promise<string> {
    const { subject } = req;
    return this.history.start({
      actionId: subject.definitionId,
      attachmentId: subject.attachmentId,
      callId: req.callId,
      agentId: req.agentId,
      actionType: subject.type.name,
      stage: subject.stage,
      trigger: req.firedBy,
      inputs,
    });
  }

  /** Exec with the attachment's retries; each attempt gets its own abort controller linked to the run's. */
  private async attempts(
    req: RunRequest,
    rendered: Record<string, unknown>,
  ): Promise<{ outcome: { outputs: ActionOutputs } | { error: ActionFailure }; attempts: number }> {
    const { policy, type } = req.subject;
    let attempt = 0;
    for (;;) {
      attempt++;
      const controller = new AbortController();
      const forward = (): void => controller.abort(req.signal.reason);
      req.signal.addEventListener('abort', forward, { once: true });
      const ctx = this.context(req, rendered, attempt, controller.signal);
      const release = req.onStart?.((reason) => {
        controller.abort(reason);
        void Promise.resolve(type.kill?.(ctx, reason)).catch(() => undefined);
      });
      try {
        if (req.signal.aborted)
          throw new ActionError('CANCELLED', `cancelled: ${String(req.signal.reason ?? 'killed')}`, false);
        const outputs = await untilAborted(type.exec(ctx), controller.signal);
        return { outcome: { outputs: outputs ?? {} }, attempts: attempt };
      } catch (err) {
        const error = controller.signal.aborted
          ? {
              code: 'CANCELLED',
              message: `cancelled: ${String(controller.signal.reason ?? 'killed')}`,
              retryable: false,
            }
          : toFailure(err);
        if (!error.retryable || attempt > policy.retries) return { outcome: { error }, attempts: attempt };
        await sleep(backoffDelay(attempt, policy.backoff_ms, policy.backoff_max_ms), req.signal);
      } finally {
        release?.();
        req.signal.removeEventListener('abort', forward);
      }
    }
  }
}
