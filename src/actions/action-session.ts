import type { Stage } from '../store/store.js';
import type { TemplateScope } from '../templates/template-renderer.js';
import { check } from '../util/validate.js';
import { CallwrightError } from '../errors.js';
import type { ActionServices, CallHandle, CallState } from './action-type.js';
import type { ContactView } from './contact-memory.js';
import { subjectOf, type PlannedAction, type RunSubject } from './agent-plan.js';
import { parseFailurePolicy } from './failure-policy.js';
import type { ActionRegistry } from './registry.js';
import type { ActionFailure, ActionRunner, RunResult } from './action-runner.js';
import { describeTool, argumentSchema, type ToolDescription } from './tool-description.js';
import { evaluate } from './triggers/condition-expression.js';
import { matchIntent } from './triggers/intent-matcher.js';
import { dtmfMatches } from './triggers/dtmf-pattern.js';
import type { CallEvent, FiredBy, Trigger } from './triggers/trigger.js';

export interface SessionInit {
  agentId: string;
  callId?: string;
  direction?: 'inbound' | 'outbound';
  from?: string;
  to?: string;
  startedAt?: string;
  contactId?: string;
  /** Dry runs only: the contact as the script describes it (no database record). */
  contact?: Record<string, unknown>;
  /** Integration data sent at call start (`data.*`). */
  data?: Record<string, unknown>;
  collected?: Record<string, unknown>;
  call?: CallHandle;
  /**
   * Where the call's state is read (the call layer's state machine). Defaults to `call.state`; with
   * neither (dry runs, a session over a call with no live leg) the session follows the events it is fed.
   */
  state?: () => CallState;
  dryRun?: boolean;
}

/** An action an agent command runs with no definition (its history row stores action_id NULL). */
export interface InlineRun {
  /** The action type's name (`cold-transfer`, `leave-voicemail`, …). */
  type: string;
  /** Validated by the type's schema (defaults filled in); templates rendered like a definition's. */
  config: Record<string, unknown>;
  firedBy: FiredBy;
}

/**
 * The call state as a session with no live call sees it: dry runs and detached sessions follow the
 * events they are fed. Read-only from outside; the call layer never writes it.
 */
class FollowedState {
  private current: CallState = 'ringing';

  get state(): CallState {
    return this.current;
  }

  follow(event: CallEvent['type'] | 'closed'): void {
    if (event === 'answered' && this.current === 'ringing') this.current = 'answered';
    if (event === 'ended' || event === 'closed') this.current = 'ended';
  }
}

export interface StageResult {
  runs: RunResult[];
  /** Texts for the agent to say: custom replies and fallback messages, in order. */
  say: string[];
  aborted: boolean;
  /** The before-stage budget ran out; unfinished runs were killed. */
  timedOut: boolean;
}

export type ToolResult =
  | { ok: true; action: string; outputs: Record<string, unknown>; say?: string }
  | { ok: false; action: string; error: ActionFailure; say?: string };

const EMPTY = (): StageResult => ({ runs: [], say: [], aborted: false, timedOut: false });
/**
 * How long a run whose type completes on hang-up (leave-voicemail: measuring and storing the message,
 * queueing its email) may go on after the call ended before it is killed like any other.
 */
export const HANGUP_COMPLETION_MS = 10_000;
const DTMF_BUFFER_MAX = 32;

/** A planned action and why it runs (stored in its history row, printed by simulation). */
type Fired = { plan: PlannedAction; firedBy: FiredBy };

/**
 * The action engine's view of one call: which attachments fire on which event, in attachment order,
 * with outputs of earlier runs as `actions.<name>.*` for later ones. Work is serialised: an event
 * that arrives while actions run waits its turn, so order holds across events too.
 */
export class ActionSession {
  readonly outputs: Record<string, Record<string, unknown>> = {};
  /** The run behind the latest tool call (simulation prints it). */
  lastToolRun: RunResult | undefined;
  collected: Record<string, unknown>;
  contactId: string | undefined;
  /** The latest answering-machine detection outcome (`call.amd`; empty until one is decided). */
  amdOutcome: string | undefined;
  private dtmf = '';
  private queue: Promise<unknown> = Promise.resolve();
  /** Kill functions of runs in progress; true for a run whose type completes on hang-up. */
  private readonly kills = new Map<(reason: string) => void, boolean>();
  /** Runs of types that complete on hang-up, settled once their outputs are stored. */
  private readonly completing = new Set<Promise<void>>();
  /** The call ended and its end is not yet written: no new run starts. */
  private ending = false;
  private readonly startedAt: string;
  private readonly followed = new FollowedState();
  private closed = false;
  /** The stored contact as `scope()` shows it; read by `refreshContact` (scope itself stays synchronous). */
  private contactView: ContactView | undefined;

  constructor(
    readonly init: SessionInit,
    readonly plan: readonly PlannedAction[],
    private readonly runner: ActionRunner,
    private readonly services: ActionServices,
    private readonly settings: { beforeBudgetMs: number },
    private readonly registry: ActionRegistry,
  ) {
    this.collected = { ...(init.collected ?? {}) };
    this.contactId = init.contactId;
    this.startedAt = init.startedAt ?? new Date(services.clock.now()).toISOString();
  }

  /** The call's state, read from its owner (the call layer); `ended` once the session is closed. */
  get phase(): CallState {
    if (this.closed) return 'ended';
    if (this.init.state) return this.init.state();
    if (this.init.call) return this.init.call.state;
    return this.followed.state;
  }

  get dryRun(): boolean {
    return this.init.dryRun ?? false;
  }

  /**
   * Reads the contact `scope()` shows from the store. The engine calls it when the session opens and
   * after every run (a run may tag the contact or set a property a later condition reads); the call
   * layer calls it after linking a different `contactId`.
   */
  async refreshContact(): Promise<void> {
    if (this.dryRun) return;
    this.contactView = await this.services.contacts.viewById(this.contactId);
  }

  /** The template and condition scope right now (the contact as last read by `refreshContact`). */
  scope(): TemplateScope {
    const { init } = this;
    const remote = init.direction === 'outbound' ? init.to : init.from;
    const contact = this.dryRun ? (init.contact ?? {}) : (this.contactView ?? {});
    const durationS = Math.max(
      0,
      Math.round((this.services.clock.now() - Date.parse(this.startedAt)) / 1000),
    );
    return {
      call: {
        id: init.callId ?? '',
        agent_id: init.agentId,
        direction: init.direction ?? 'inbound',
        from: init.from ?? '',
        to: init.to ?? '',
        remote: remote ?? '',
        started_at: this.startedAt,
        duration: durationS,
        state: this.phase,
        amd: this.amdOutcome ?? '',
      },
      contact,
      collected: this.collected,
      data: init.data ?? {},
      actions: this.outputs,
    };
  }

  /** Tools the agent may call now (during-stage attachments with a tool trigger). */
  tools(): ToolDescription[] {
    return this.plan
      .filter((p) => p.attachment.stage === 'during' && p.triggers.some((t) => t.kind === 'tool'))
      .map((p) => describeTool(p.definition, p.type));
  }

  /** Every phrase of the during-stage intent triggers: what a recogniser should listen for. */
  intentPhrases(): string[] {
    const phrases = new Set<string>();
    for (const p of this.plan)
      if (p.attachment.stage === 'during')
        for (const t of p.triggers) if (t.kind === 'intent') for (const ph of t.phrases) phrases.add(ph);
    return [...phrases];
  }

  /** Runs a stage's attachments that fire at stage entry (no triggers, or a true condition). */
  runStage(stage: Exclude<Stage, 'after'>): Promise<StageResult> {
    const entries = this.plan.flatMap((plan) => {
      const firedBy = plan.attachment.stage === stage ? this.entryTrigger(plan, stage) : undefined;
      return firedBy ? [{ plan, firedBy }] : [];
    });
    if (stage !== 'before') return this.serial(() => this.runSequence(entries));
    return this.serial(() => this.withBudget(entries));
  }

  /** Feeds a call event, a final transcript line or DTMF; runs what it triggers, in attachment order. */
  handleEvent(event: CallEvent): Promise<StageResult> {
    this.followed.follow(event.type);
    if (event.type === 'transcript' && event.final === false) return Promise.resolve(EMPTY());
    if (event.type === 'dtmf') this.dtmf = (this.dtmf + event.digits).slice(-DTMF_BUFFER_MAX);
    const fired: Fired[] = [];
    for (const plan of this.plan) {
      if (plan.attachment.stage !== 'during') continue;
      const firedBy = plan.triggers.map((t) => this.matchEvent(t, event)).find(Boolean);
      if (firedBy) fired.push({ plan, firedBy });
    }
    if (fired.some((f) => f.firedBy.kind === 'dtmf')) this.dtmf = '';
    if (!fired.length) return Promise.resolve(EMPTY());
    return this.serial(() => this.runSequence(fired));
  }

  /** The line a tool says to the caller itself while it runs (an http-request's `filler`), if any. */
  toolFiller(name: string): string | undefined {
    const filler = this.toolPlan(name)?.definition.config.filler;
    return typeof filler === 'string' && filler ? filler : undefined;
  }

  private toolPlan(name: string): PlannedAction | undefined {
    return this.plan.find(
      (p) =>
        p.toolName === name && p.attachment.stage === 'during' && p.triggers.some((t) => t.kind === 'tool'),
    );
  }

  /** The agent calls an action as a tool; arguments are validated against the derived schema. */
  callTool(name: string, args: Record<string, unknown> = {}): Promise<ToolResult> {
    const plan = this.toolPlan(name);
    if (!plan) {
      return Promise.resolve({
        ok: false,
        action: name,
        error: { code: 'NOT_FOUND', message: `no tool named ${JSON.stringify(name)}`, retryable: false },
      });
    }
    const schema = argumentSchema(plan.type, plan.definition.config);
    const value = structuredClone(args);
    const issues = schema
      ? check(schema, value, 'args')
      : Object.keys(value).length
        ? [{ field: 'args', value, expected: 'no arguments' }]
        : [];
    if (issues.length) {
      const message = issues.map((i) => `${i.field}: expected ${i.expected}`).join('; ');
      return Promise.resolve({
        ok: false,
        action: plan.definition.name,
        error: { code: 'VALIDATION', message, retryable: false },
      });
    }
    return this.serial(async () => {
      const result = await this.runSequence([{ plan, firedBy: { kind: 'tool', name } }], value);
      const run = result.runs[0];
      this.lastToolRun = run;
      const say = result.say[0];
      if (run?.status === 'succeeded')
        return { ok: true as const, action: run.action, outputs: run.outputs, ...(say ? { say } : {}) };
      const error = run?.error ?? { code: 'SKIPPED', message: 'the action did not run', retryable: false };
      return { ok: false as const, action: plan.definition.name, error, ...(say ? { say } : {}) };
    });
  }

  /**
   * Runs one action with no definition (an agent's `transfer` / `voicemail` command): the same path as
   * an attached action (preconditions, rendering, the runner, an `action_runs` row with action_id
   * NULL), after attached work queued before it. A config the type rejects is a failed run naming the field.
   */
  runInline(run: InlineRun): Promise<RunResult> {
    let refused: ActionFailure | undefined;
    let config = run.config;
    const type = this.registry.has(run.type) ? this.registry.get(run.type) : undefined;
    if (!type) {
      return Promise.resolve(this.unavailable(run));
    }
    try {
      config = this.registry.validateConfig(run.type, run.config, this.services.templates);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      refused = { code: err instanceof CallwrightError ? err.code : 'VALIDATION', message, retryable: false };
    }
    const subject: RunSubject = {
      definitionId: null,
      attachmentId: null,
      name: type.name,
      description: type.description,
      type,
      config,
      stage: 'during',
      policy: parseFailurePolicy({}),
    };
    return this.serial(() => this.runOne(subject, run.firedBy, {}, undefined, refused));
  }

  private unavailable(run: InlineRun): RunResult {
    return {
      action: run.type,
      actionId: null,
      attachmentId: null,
      type: run.type,
      stage: 'during',
      firedBy: run.firedBy,
      status: 'failed',
      outputs: {},
      error: {
        code: 'UNAVAILABLE',
        message: `the ${run.type} action type is not available in this server`,
        retryable: false,
      },
      attempts: 0,
      durationMs: 0,
    };
  }

  /**
   * The call is over for this session: runs in progress are killed and its state reads `ended` from
   * now on (a session with a live call already reads `ended` from the call's state machine).
   */
  close(reason: string): void {
    this.closed = true;
    this.kill(reason);
  }

  /** Kills runs in progress (hang-up, budget, shutdown). */
  kill(reason: string): void {
    for (const k of this.kills.keys()) k(reason);
  }

  /**
   * The caller hung up: runs a hang-up cancels are killed now, and no new run starts; runs whose type
   * completes on hang-up (`ActionType.completesOnHangup`) go on. Resolves once those have finished
   * (their outputs stored under `actions.<name>.*`) or `timeoutMs` passed; undefined when none runs,
   * so the caller can write the call's end at once. The caller then ends the call (`endCall`), which
   * kills whatever still runs.
   */
  settleOnHangup(reason: string, timeoutMs = HANGUP_COMPLETION_MS): Promise<void> | undefined {
    this.ending = true;
    for (const [k, completes] of this.kills) {
      if (completes) continue;
      // Killed once: endCall's close must not kill it again.
      this.kills.delete(k);
      k(reason);
    }
    if (!this.completing.size) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    return Promise.race([Promise.all([...this.completing]).then(() => undefined), timeout]).finally(() =>
      clearTimeout(timer),
    );
  }

  /** After-stage attachments that fire when the call ends (no triggers, `ended`, or a true condition). */
  afterCallPlan(): PlannedAction[] {
    return this.plan.filter(
      (p) =>
        p.attachment.stage === 'after' &&
        (this.entryTrigger(p, 'after') !== undefined ||
          p.triggers.some((t) => t.kind === 'event' && t.event === 'ended')),
    );
  }

  /** Dry runs: the after stage runs inline with simulated outputs. */
  simulateAfterStage(): Promise<StageResult> {
    this.followed.follow('ended');
    const ended: FiredBy = { kind: 'event', event: 'ended' };
    return this.serial(() =>
      this.runSequence(this.afterCallPlan().map((plan) => ({ plan, firedBy: ended }))),
    );
  }

  /** Why an attachment fires at stage entry: it has no triggers, or one of its conditions is true. */
  private entryTrigger(p: PlannedAction, stage: Stage): FiredBy | undefined {
    if (p.triggers.length === 0) return { kind: 'stage', stage };
    const met = p.triggers.find(
      (t) => t.kind === 'condition' && evaluate(p.conditions.get(t)!, this.scope()),
    );
    return met?.kind === 'condition' ? { kind: 'condition', expression: met.expression } : undefined;
  }

  private matchEvent(t: Trigger, event: CallEvent): FiredBy | undefined {
    if (t.kind === 'event' && event.type === t.event) return { kind: 'event', event: t.event };
    if (t.kind === 'intent' && event.type === 'transcript') {
      const speaker = t.speaker ?? 'caller';
      if (speaker !== 'any' && (event.speaker ?? 'caller') !== speaker) return undefined;
      const phrase = matchIntent(event.text, t.phrases, t.match ?? 'contains');
      return phrase ? { kind: 'intent', phrase, line: event.text } : undefined;
    }
    if (t.kind === 'dtmf' && event.type === 'dtmf' && dtmfMatches(this.dtmf, t)) {
      return { kind: 'dtmf', digits: this.dtmf };
    }
    if (t.kind === 'amd' && event.type === 'amd' && (t.outcome ?? event.outcome) === event.outcome) {
      return { kind: 'amd', outcome: event.outcome };
    }
    return undefined;
  }

  private async withBudget(entries: Fired[]): Promise<StageResult> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.settings.beforeBudgetMs);
    });
    const work = this.runSequence(entries, {}, controller.signal);
    const first = await Promise.race([work, budget]);
    clearTimeout(timer);
    if (first !== 'timeout') return first;
    // The call proceeds without the results: stop what runs, start nothing more.
    controller.abort(new Error('before-stage budget exhausted'));
    this.kill('before-stage budget exhausted');
    const partial = await work;
    return { ...partial, timedOut: true };
  }

  /** Runs plans in order; outputs chain; the failure policy decides what follows a failure. */
  private async runSequence(
    fired: readonly Fired[],
    args: Record<string, unknown> = {},
    signal?: AbortSignal,
  ): Promise<StageResult> {
    const out = EMPTY();
    for (const { plan, firedBy } of fired) {
      if (signal?.aborted || this.ending) break;
      const run = await this.runOne(subjectOf(plan), firedBy, args, signal);
      out.runs.push(run);
      if (run.status === 'succeeded') {
        if (typeof run.outputs.say === 'string') out.say.push(run.outputs.say);
        continue;
      }
      if (run.status === 'skipped') continue;
      if (run.status === 'cancelled') return { ...out, aborted: true };
      if (plan.policy.on_failure === 'abort') return { ...out, aborted: true };
      if (plan.policy.on_failure === 'fallback' && plan.policy.fallback_message) {
        out.say.push(this.renderFallback(plan.policy.fallback_message, run));
      }
    }
    return out;
  }

  private runOne(
    subject: RunSubject,
    firedBy: FiredBy,
    args: Record<string, unknown>,
    signal?: AbortSignal,
    refused?: ActionFailure,
  ): Promise<RunResult> {
    const completes = subject.type.completesOnHangup === true && !this.dryRun;
    const run = this.runner.run({
      subject,
      firedBy,
      scope: this.scope(),
      args,
      phase: this.phase,
      callId: this.init.callId,
      agentId: this.init.agentId,
      contactId: this.contactId,
      call: this.init.call,
      dryRun: this.dryRun,
      signal: signal ?? new AbortController().signal,
      onStart: (kill) => this.track(kill, completes),
      ...(refused ? { refused } : {}),
    });
    // Stored here, not by the sequence, so a run that completes after the hang-up has its outputs in
    // the after-call scope before the call's end is written. Inline runs (no attachment) store none.
    const stored = run.then(async (r) => {
      if (subject.attachmentId !== null && r.status === 'succeeded') this.outputs[subject.name] = r.outputs;
      if (r.status === 'succeeded') {
        // A failed read keeps the view as it was: the run's outcome stands either way.
        await this.refreshContact().catch((err: unknown) =>
          this.services.logger.warn(
            { err, callId: this.init.callId },
            'reading the contact after a run failed',
          ),
        );
      }
      return r;
    });
    if (completes) {
      const settled = stored.then(
        () => undefined,
        () => undefined,
      );
      this.completing.add(settled);
      void settled.then(() => this.completing.delete(settled));
    }
    return stored;
  }

  private renderFallback(message: string, run: RunResult): string {
    const scope = { ...this.scope(), error: run.error ?? {} };
    try {
      return this.services.templates.render(message, scope, 'failure_policy.fallback_message');
    } catch {
      return message;
    }
  }

  private track(kill: (reason: string) => void, completesOnHangup: boolean): () => void {
    this.kills.set(kill, completesOnHangup);
    return () => this.kills.delete(kill);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
