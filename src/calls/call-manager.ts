import type { ActionEngine } from '../actions/action-engine.js';
import type { CallEvent } from '../actions/triggers/trigger.js';
import { createAgent, type AgentDeps } from '../agent/create-agent.js';
import type { LlmSettings } from '../config/schema.js';
import type { TranscriptLine } from '../speech/speech-recognizer.js';
import type { SpeechServices } from '../speech/speech-services.js';
import { CallwrightError, notFound } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { AgentRecord, Store } from '../store/store.js';
import {
  classifyTarget,
  type DialOutcome,
  type HangupCause,
  type InboundCall,
  type Telephony,
} from '../telephony/port.js';
import type { CallsSettings } from './calls-config.js';
import { assertCallingHours } from './calling-hours.js';
import { assertOutboundRoute, unansweredBy } from './outbound-route.js';
import { CallSession, type CallSessionInit, type FlowCommandResult } from './call-session.js';
import type { CallFlowSink } from './flow-actions/call-flow-deps.js';
import type { CallFlowOutcome, TransferOutcome } from '../agent/agent.js';
import { routeInbound, routePhoneCall } from './inbound-router.js';
import type { PhoneTokens } from './phone-token.js';
import { assertCallable } from '../contacts/dnc-guard.js';
import type { CallHooks } from '../observability/metrics-hooks.js';
import { noTracing, type Tracing } from '../observability/tracing.js';
import { AdmissionRefusedError, type AdmissionControl } from './admission.js';
import type { RecordingServices } from './recording/recording-services.js';
import { planCallAmd, type AmdServerSettings, type CallAmdValue } from './amd/amd-call-settings.js';

export interface CallManagerDeps {
  store: Store;
  engine: ActionEngine;
  telephony: Telephony;
  settings: CallsSettings;
  /** Names of `sip.trunks`, in order: calls out are checked against them before dialling. */
  trunks: readonly string[];
  logger: Logger;
  fetch?: typeof fetch;
  now?: () => Date;
  speech?: SpeechServices;
  /** The server's `llm` settings (defaults of `llm` agents). */
  llm?: LlmSettings;
  /** The chat client of `llm` agents, when not the OpenAI-compatible HTTP one (benchmarks). */
  llmClient?: AgentDeps['llmClient'];
  /** Metrics: calls ended, transfers, turn latencies. */
  hooks?: CallHooks;
  /** One trace per call (tracing on): the root span, and the agent's requests as its children. */
  tracing?: Tracing;
  /** `telephony.backend`, an attribute of the call's root span. */
  backend?: string;
  /** Limits on calls out (calls in are admitted by the backend through the same object). */
  admission?: AdmissionControl;
  /** Whole-call recording; without it no call is recorded. */
  recording?: RecordingServices;
  /** The `amd` config section (answering-machine detection on calls out); without it none runs. */
  amd?: AmdServerSettings;
  /** Checks browser phones' tokens; without it a call over a WebSocket is refused (403). */
  phoneTokens?: PhoneTokens;
}

/** How a drain went: calls there at its start, calls hung up when the window ended. */
export interface CallsDrainReport {
  calls: number;
  hungUp: number;
}

/** Longest a call out may wait for a place (queue_timeout_s). */
export const MAX_QUEUE_TIMEOUT_S = 600;
const DEFAULT_QUEUE_TIMEOUT_S = 30;

/** The drain window in ms: the deprecated `drain_timeout_ms` when set, else `drain_window_s`. */
export function drainWindowMs(settings: Pick<CallsSettings, 'drain_window_s' | 'drain_timeout_ms'>): number {
  return settings.drain_timeout_ms ?? settings.drain_window_s * 1000;
}

export interface OutboundRequest {
  /** Agent id or name. */
  agent: string;
  /** E.164 number or SIP URI. */
  to: string;
  /** Caller id (From user). */
  from?: string;
  trunk?: string;
  variables?: Record<string, unknown>;
  ring_timeout_ms?: number;
  /** Over an admission limit: wait for a place (up to queue_timeout_s) instead of failing at once. */
  queue?: boolean;
  queue_timeout_s?: number;
  /** Record the whole call (true) or not (false), whatever the agent's setting; undefined = the agent's. */
  record?: boolean;
  /** Answering-machine detection: on (true), off (false), or on with overrides; undefined = the agent's. */
  amd?: CallAmdValue;
}

const DIAL_CAUSE: Record<string, HangupCause> = {
  busy: 'busy',
  'no-answer': 'no-answer',
  timeout: 'no-answer',
  rejected: 'rejected',
  cancelled: 'normal',
  failed: 'error',
};

/**
 * Owns the live call sessions: routes calls in to agents, places calls out (after the DNC and
 * calling-hours checks, before anything is dialled), passes transcript lines and call events to
 * sessions, and drains them on stop. Implements the call-flow action types' CallFlowSink: call events,
 * typed outcomes and recordings reach the live session they belong to.
 */
export class CallManager implements CallFlowSink {
  private readonly sessions = new Map<string, CallSession>();
  /** Admission places of calls out, freed when the call ends. */
  private readonly places = new Map<string, () => void>();
  /** Sessions being opened (their row written, their plan read): a drain waits for them to count them. */
  private readonly opening = new Set<Promise<unknown>>();
  private draining = false;
  private readonly log: Logger;

  private readonly tracing: Tracing;

  constructor(private readonly deps: CallManagerDeps) {
    this.log = deps.logger.child({ component: 'calls' });
    this.tracing = deps.tracing ?? noTracing;
  }

  get active(): number {
    return this.sessions.size;
  }

  /** Live calls by direction (read when metrics are scraped). */
  activeByDirection(): { inbound: number; outbound: number } {
    const n = { inbound: 0, outbound: 0 };
    for (const s of this.sessions.values()) n[s.init.direction]++;
    return n;
  }

  get(callId: string): CallSession | undefined {
    return this.sessions.get(callId);
  }

  /** The telephony backend's inbound handler. */
  readonly handleInbound = async (call: InboundCall): Promise<void> => {
    if (this.draining) return call.reject(480, 'Shutting Down');
    const route =
      (await routePhoneCall(this.deps.store, this.deps.phoneTokens, call.info)) ??
      (await routeInbound(this.deps.store, this.deps.settings, call.info));
    if (!route.ok) {
      this.log.info({ status: route.status, reason: route.reason }, 'inbound call refused');
      // A browser learns what was wrong with its token from the reason phrase (403 Phone Token Expired).
      return call.reject(route.status, route.status === 403 ? route.reason : undefined);
    }
    let session: CallSession;
    try {
      session = await this.open(
        route.agent,
        'inbound',
        call.info.from.user,
        route.dialled,
        {},
        call.info.sipCallId,
        route.record === 'agent' ? {} : { record: route.record === 'always' },
      );
    } catch (err) {
      this.log.warn({ err: (err as Error).message, agentId: route.agent.id }, 'agent cannot take calls');
      return call.reject(480);
    }
    await session.answerInbound(call);
  };

  /** Places a call out; resolves once it is dialling (the call row exists), before it is answered. */
  async placeCall(req: OutboundRequest): Promise<{ call_id: string; state: string }> {
    if (this.draining) throw this.drainingError();
    const agent = await this.deps.store.agents.byIdOrName(req.agent);
    if (!agent) throw notFound('agent', req.agent);
    let target;
    try {
      target = classifyTarget(req.to);
    } catch (err) {
      throw new CallwrightError('VALIDATION', (err as Error).message.replace(/^target/, 'to'), [
        { field: 'to', value: req.to, expected: 'an E.164 number (+14155550100) or a SIP URI' },
      ]);
    }
    assertOutboundRoute(target, req.trunk, this.deps.trunks);
    const amd = this.deps.amd ? planCallAmd(this.deps.amd, agent.amd, req.amd) : undefined;
    if (target.kind === 'e164') {
      await assertCallable(this.deps.store, target.number, 'call');
      const contact = await this.deps.store.contacts.findBy('phone', target.number);
      const tz = contact?.timezone || this.deps.settings.default_timezone;
      assertCallingHours(
        this.deps.now?.() ?? new Date(),
        target.number,
        tz,
        this.deps.settings.calling_hours,
      );
    }
    const release = await this.admitOutbound(req, this.admissionTrunk(target, req.trunk));
    if (this.draining) {
      release();
      throw this.drainingError();
    }
    let session: CallSession;
    try {
      session = await this.open(agent, 'outbound', req.from ?? '', req.to, req.variables ?? {}, null, {
        ...(req.record !== undefined ? { record: req.record } : {}),
        ...(amd ? { amd } : {}),
        ...(!amd && this.deps.amd?.greeting_delay_ms
          ? { greetingDelayMs: this.deps.amd.greeting_delay_ms }
          : {}),
      });
    } catch (err) {
      release();
      throw err;
    }
    this.places.set(session.id, release);
    void this.dialOut(session, req).catch((err) =>
      session.log.error({ err }, 'the call out failed outside its dial'),
    );
    return { call_id: session.id, state: session.state };
  }

  /**
   * The trunk whose admission limits a call out to `to` counts against: the one asked for, else the
   * first configured for a number (the backend routes numbers there); a SIP URI without one, none.
   */
  admissionTrunk(to: string | ReturnType<typeof classifyTarget>, trunk?: string): string | undefined {
    let target;
    try {
      target = typeof to === 'string' ? classifyTarget(to) : to;
    } catch {
      return trunk;
    }
    return target.kind === 'e164' ? (trunk ?? this.deps.trunks[0]) : trunk;
  }

  /** Calls out while draining: 503 with Retry-After when admission control runs. */
  private drainingError(): CallwrightError {
    const message = 'the server is stopping; no new calls';
    const admission = this.deps.admission;
    return admission
      ? new AdmissionRefusedError(admission.refuse('draining', message))
      : new CallwrightError('UNAVAILABLE', message);
  }

  /** A place for a call out, or AdmissionRefusedError naming the limit (after queueing when asked). */
  private async admitOutbound(req: OutboundRequest, trunk: string | undefined): Promise<() => void> {
    const admission = this.deps.admission;
    if (!admission) return () => undefined;
    const request = { direction: 'outbound' as const, ...(trunk ? { trunk } : {}) };
    const decision = req.queue
      ? await admission.admitWithin(request, (req.queue_timeout_s ?? DEFAULT_QUEUE_TIMEOUT_S) * 1000)
      : admission.admit(request);
    if (!decision.admitted) {
      this.log.info(
        { reason: decision.refusal.reason, limit: decision.refusal.limit },
        'outbound call refused',
      );
      throw new AdmissionRefusedError(decision.refusal);
    }
    return decision.release;
  }

  /** Injects a transcript line into a live call (intent triggers, gathers, the agent). */
  async transcript(callId: string, line: TranscriptLine): Promise<void> {
    (await this.live(callId)).transcript(line);
  }

  /** Hangs up a live call from outside it (the API): BYE (or CANCEL while ringing), then the call ends. */
  async hangup(callId: string): Promise<{ call_id: string; state: string }> {
    const session = await this.live(callId);
    session.log.info('hang-up requested over the API');
    if (session.leg?.active) await session.hangup('api');
    else if (session.state === 'ringing' && session.init.direction === 'outbound')
      // Still dialling: the dial is cancelled (CANCEL) and the call ends as cancelled.
      session.controller.abort(new Error('hung up over the API'));
    else
      throw new CallwrightError(
        'PRECONDITION',
        `call ${callId} is ${session.state} with no answered leg; a call in can be hung up once answered`,
      );
    return { call_id: callId, state: session.state };
  }

  /** Transfers a live, answered call: the cold- or warm-transfer type, run as the agent's command would. */
  async transfer(
    callId: string,
    target: string,
    options: Record<string, unknown>,
  ): Promise<FlowCommandResult<TransferOutcome>> {
    const session = await this.live(callId);
    if (session.state !== 'answered')
      throw new CallwrightError(
        'PRECONDITION',
        `call ${callId} is ${session.state}; only an answered call can be transferred`,
      );
    return session.transfer(target, options);
  }

  /** The live session of a call: NOT_FOUND for no such call, PRECONDITION for a call that has ended. */
  private async live(callId: string): Promise<CallSession> {
    const session = this.sessions.get(callId);
    if (session) return session;
    if (await this.deps.store.calls.get(callId))
      throw new CallwrightError('PRECONDITION', `call ${callId} is not live`);
    throw notFound('call', callId);
  }

  /** Call events from the call-flow types (transfer-failed, voicemail-left) fire the session's triggers. */
  emit(callId: string, event: CallEvent): void {
    void this.sessions.get(callId)?.engineEvent(event);
  }

  outcome(callId: string, runId: string | undefined, outcome: CallFlowOutcome, refer?: string): void {
    if (outcome.flow === 'transfer') this.deps.hooks?.transfer(outcome, refer);
    this.sessions.get(callId)?.flowOutcome(runId, outcome);
  }

  recording(callId: string, active: boolean): void {
    this.sessions.get(callId)?.recording(active);
  }

  /** Resolves once the history the live call recorded so far is stored (at once for a call not live here). */
  async settled(callId: string): Promise<void> {
    await this.sessions.get(callId)?.recorder.flush();
  }

  /** The pause/resume-recording actions: undefined when the call is not live here. */
  pauseRecording(
    callId: string,
    paused: boolean,
    by: string,
  ): { recording: boolean; paused: boolean; changed: boolean } | undefined {
    return this.sessions.get(callId)?.pauseRecording(paused, by);
  }

  /**
   * Refuses new calls, lets live ones go on up to the drain window (`windowMs`, default from
   * `calls.drain_window_s` or the older `drain_timeout_ms`), then hangs them up with cause `shutdown`
   * (the backends send BYE with a Reason header). `signal` ends the wait at once (a second SIGTERM).
   */
  async drain(options: { windowMs?: number; signal?: AbortSignal } = {}): Promise<CallsDrainReport> {
    this.draining = true;
    await Promise.allSettled([...this.opening]);
    const live = [...this.sessions.values()];
    if (!live.length) return { calls: 0, hungUp: 0 };
    const windowMs = options.windowMs ?? drainWindowMs(this.deps.settings);
    this.log.info({ calls: live.length, windowMs }, 'draining calls');
    const all = Promise.all(live.map((s) => s.ended));
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const timeout = new Promise<void>((r) => {
      timer = setTimeout(r, windowMs);
      onAbort = () => r();
      if (options.signal?.aborted) r();
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    await Promise.race([all, timeout]);
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    const left = [...this.sessions.values()];
    if (left.length) this.log.warn({ calls: left.length }, 'drain window over: hanging up the calls left');
    await Promise.all(
      left.map(async (s) => {
        if (s.leg?.active) await s.leg.hangup('shutdown').catch(() => undefined);
        s.finish({ by: 'local', cause: 'shutdown' }, 'shutdown');
      }),
    );
    // A message the hang-up ended is stored before its call's end is written (HANGUP_COMPLETION_MS at
    // most): wait for both, so the store is not closed under them.
    await Promise.all(left.map((s) => s.ended));
    return { calls: live.length, hungUp: left.length };
  }

  private async open(...args: Parameters<CallManager['openSession']>): Promise<CallSession> {
    const opened = this.openSession(...args);
    this.opening.add(opened);
    try {
      return await opened;
    } finally {
      this.opening.delete(opened);
    }
  }

  private async openSession(
    agent: AgentRecord,
    direction: 'inbound' | 'outbound',
    from: string,
    to: string,
    variables: Record<string, unknown>,
    sipCallId: string | null,
    options: Pick<CallSessionInit, 'record' | 'amd' | 'greetingDelayMs'> = {},
  ): Promise<CallSession> {
    // The agent's requests (webhook agent, LLM) are spans of this call's trace; the call id is known
    // once the row exists, before the agent sends anything.
    const traced: { callId?: string } = {};
    const fetchFn = this.tracing.enabled
      ? this.tracing.fetch(this.deps.fetch ?? fetch, () => traced.callId ?? null)
      : this.deps.fetch;
    const brain = createAgent(agent, {
      ...(fetchFn ? { fetch: fetchFn } : {}),
      ...(this.deps.llm ? { llm: this.deps.llm } : {}),
      ...(this.deps.llmClient ? { llmClient: this.deps.llmClient } : {}),
    });
    const { store } = this.deps;
    const remote = direction === 'inbound' ? from : to;
    const contact = remote ? await store.contacts.findBy('phone', remote) : undefined;
    // The row exists before the session records anything about the call (its events refer to it).
    const row = await store.calls.create({
      direction,
      from_number: from,
      to_number: to,
      agent_id: agent.id,
      contact_id: contact?.id ?? null,
      sip_call_id: sipCallId,
      state: 'ringing',
      variables,
      started_at: new Date().toISOString(),
    });
    traced.callId = row.id;
    // Root span attributes: no numbers (PII), only what the call is.
    if (this.tracing.enabled)
      this.tracing.startCall(row.id, {
        'callwright.call.direction': direction,
        'callwright.agent.id': agent.id,
        'callwright.agent.kind': agent.kind,
        ...(this.deps.backend ? { 'callwright.telephony.backend': this.deps.backend } : {}),
      });
    const session = await CallSession.open(
      {
        callId: row.id,
        agent,
        brain,
        direction,
        from,
        to,
        variables,
        ...(contact ? { contactId: contact.id } : {}),
        ...options,
      },
      {
        store,
        engine: this.deps.engine,
        logger: this.deps.logger,
        ...(this.deps.speech ? { speech: this.deps.speech } : {}),
        ...(this.deps.hooks ? { hooks: this.deps.hooks } : {}),
        ...(this.deps.recording ? { recording: this.deps.recording } : {}),
        ...(this.deps.llm ? { llm: this.deps.llm } : {}),
        onEnded: (s) => {
          this.sessions.delete(s.id);
          void this.endTrace(s.id).catch((err) => s.log.warn({ err }, 'ending the call trace failed'));
          this.places.get(s.id)?.();
          this.places.delete(s.id);
        },
      },
    ).catch(async (err: unknown) => {
      await this.abandon(row.id);
      throw err;
    });
    this.sessions.set(row.id, session);
    const { hooks } = this.deps;
    if (hooks) void session.ended.then((e) => hooks.callEnded(direction, e.cause));
    session.log.info({ direction, from, to }, 'call started');
    return session;
  }

  /**
   * A call whose session could not open (its agent's plan could not be read) is closed as failed rather
   * than left ringing forever; its trace ends with it.
   */
  private async abandon(callId: string): Promise<void> {
    const now = new Date().toISOString();
    try {
      await this.deps.store.calls.update(callId, {
        state: 'ended',
        outcome: 'failed',
        end_reason: 'error',
        hangup_by: 'agent',
        ended_at: now,
        duration_ms: 0,
      });
    } catch (err) {
      this.log.warn({ err, callId }, 'closing a call whose session did not open failed');
    }
    await this.endTrace(callId).catch((err) =>
      this.log.warn({ err, callId }, 'ending the call trace failed'),
    );
  }

  /** Ends the call's root span with the outcome its row ended with (after-call rows already hold its traceparent). */
  private async endTrace(callId: string): Promise<void> {
    if (!this.tracing.enabled) return;
    const row = await this.deps.store.calls.get(callId);
    this.tracing.endCall(callId, {
      'callwright.call.outcome': row?.outcome ?? 'unknown',
      ...(row?.end_reason ? { 'callwright.call.end_reason': row.end_reason } : {}),
      ...(row?.duration_ms != null ? { 'callwright.call.duration_ms': row.duration_ms } : {}),
    });
  }

  private async dialOut(session: CallSession, req: OutboundRequest): Promise<void> {
    let outcome: DialOutcome;
    try {
      await session.runBefore();
      outcome = await this.deps.telephony.dial({
        target: req.to,
        ...(req.trunk ? { trunk: req.trunk } : {}),
        ...(req.from ? { callerId: req.from } : {}),
        ...(req.ring_timeout_ms ? { ringTimeoutMs: req.ring_timeout_ms } : {}),
        signal: session.controller.signal,
      });
    } catch (err) {
      outcome = { outcome: 'failed', error: (err as Error).message };
    }
    if (outcome.outcome === 'answered') return session.connected(outcome.leg, outcome.answeredAt);
    session.recorder.event('dial', { ...outcome });
    session.finish(
      { by: unansweredBy(outcome), cause: DIAL_CAUSE[outcome.outcome] ?? 'error' },
      outcome.outcome,
    );
  }
}
