import type { Tracing } from '../observability/tracing.js';
import type { TObject, TSchema, Static } from '@sinclair/typebox';
import type { Logger } from '../logging/logger.js';
import type { Store, Stage } from '../store/store.js';
import type { FieldIssue } from '../errors.js';
import type { TemplateRenderer, TemplateScope } from '../templates/template-renderer.js';
import type { FiredBy } from './triggers/trigger.js';
import type { OutboxQueue } from '../delivery/outbox-queue.js';
import type { ContactMemory } from './contact-memory.js';
import type { CallLeg } from '../telephony/port.js';
import type { Mailer } from '../integrations/mail/mailer.js';
import type { IntegrationHttp } from '../integrations/http/http-client.js';
import type { SmsService } from '../integrations/sms/sms-service.js';
import type { CrmAdapter } from '../integrations/crm/crm-adapter.js';
import type { ChatClient } from '../integrations/llm/chat-client.js';
import type { Summarizer } from '../integrations/llm/summarizer.js';
import type { BookingService } from '../integrations/booking/booking-service.js';

/**
 * The contract every action type implements: one file per type, registered in one registry.
 * Types are stateless objects; anything a run needs lives in its `ActionContext`.
 */
export type Precondition =
  /** A live call handle must be present (say, transfer, DTMF). */
  | 'live-call'
  /** The call must have been answered (and not yet ended or handed off). */
  | 'answered-call'
  /** A contact record must be linked to the call. */
  | 'contact';

export type ActionOutputs = Record<string, unknown>;

/**
 * The narrow view of a live call that actions may use. The call session (issue: call flows)
 * implements it over the telephony port; the engine only passes it through.
 */
export interface CallHandle {
  readonly id: string;
  /** The caller's leg, for actions that drive telephony themselves (transfers, voicemail, IVR). */
  readonly leg?: CallLeg;
  /** The call's state, read from the call layer's state machine (the only owner of call state). */
  readonly state: CallState;
  /** Speak text to the caller (synthesised, then played). Resolves when done or interrupted. */
  say(text: string, options?: { signal?: AbortSignal; interruptOnDtmf?: boolean }): Promise<void>;
  /** Play a WAV file to the caller. */
  play(path: string, options?: { signal?: AbortSignal; interruptOnDtmf?: boolean }): Promise<void>;
  /** Send DTMF digits (`w` = 500 ms wait) with the trunk's method. */
  sendDtmf(digits: string, options?: { signal?: AbortSignal }): Promise<{ sent: string }>;
  /** End the call. */
  hangup(reason?: string): Promise<void>;
}

/**
 * A call's states: the call layer's state machine (src/calls/call-state.ts) moves between them; the
 * action layer only reads them (through the CallHandle, or a dry run's own source).
 */
export const CALL_STATES = ['ringing', 'answered', 'handed-off', 'ended'] as const;
export type CallState = (typeof CALL_STATES)[number];

export interface Clock {
  now(): number;
}

/**
 * The integrations action types may use, each optional: composed ONCE where the server is built
 * (src/server.ts) and handed to the engine factory. A type that needs a missing one fails with an
 * `UNAVAILABLE` ActionError naming it (the accessors in integration-services.ts / llm-services.ts).
 */
export interface ActionIntegrations {
  /** Outbound HTTP through the SSRF guard (`GuardedHttpClient`). */
  http?: IntegrationHttp;
  mailer?: Mailer;
  sms?: SmsService;
  /** CRM adapters by provider name (`hubspot`, `salesforce`). */
  crm?: Readonly<Record<string, CrmAdapter>>;
  /** Base URL of links to calls and recordings (api.public_url, or the API's own address). */
  publicUrl?: string;
  /** The chat model, when `llm.base_url` is set. */
  llm?: ChatClient;
  summarizer?: Summarizer;
  booking?: BookingService;
  /** The server's traces (off: the no-op tracing); action runs and outbound HTTP open spans in it. */
  tracing?: Tracing;
}

/** Everything a type may touch, passed in: no globals. */
export interface ActionServices extends ActionIntegrations {
  store: Store;
  logger: Logger;
  clock: Clock;
  templates: TemplateRenderer;
  contacts: ContactMemory;
  /** Queue durable asynchronous work (delivered by the outbox worker). */
  outbox?: OutboxQueue;
}

export interface ActionDefinitionView {
  /** The definition row; null for an inline run an agent command asked for (no definition exists). */
  id: string | null;
  name: string;
  type: string;
  description: string;
  /** The stored config, templates not rendered. */
  config: Record<string, unknown>;
}

/** What `exec` receives. */
export interface ActionContext<C = Record<string, unknown>> {
  definition: ActionDefinitionView;
  /** The config with every template field rendered against `variables` (unless the type opts out). */
  config: C;
  /** Tool-call arguments, validated against the type's argument schema ({} otherwise). */
  args: Record<string, unknown>;
  /** The template scope: call, contact, collected, data, actions, args. */
  variables: TemplateScope;
  stage: Stage;
  firedBy: FiredBy;
  callId?: string;
  contactId?: string;
  /** Present when a live call exists (during-call runs). */
  call?: CallHandle;
  /** The state of the call this run belongs to, when the run started. */
  phase: CallState;
  services: ActionServices;
  /** Aborted on kill (stage budget, hang-up, cancel). */
  signal: AbortSignal;
  /** The run's `action_runs` row (absent in dry runs). */
  runId?: string;
  /** Stable per (call, action): send it with any external effect so retries are applied once. */
  idempotencyKey: string;
  /** 1 on the first try. */
  attempt: number;
  /** Per-run scratch space for `kill` (e.g. the playback to stop). */
  state: Map<string, unknown>;
}

export interface ActionType<S extends TSchema = TSchema> {
  /** kebab-case type name stored in definitions: `set-dnc`. */
  readonly name: string;
  readonly title: string;
  /** What it does; the default purpose in derived tool descriptions. */
  readonly description: string;
  /** TypeBox schema of the definition config, validated on save (errors name the field). */
  readonly configSchema: S;
  /** Stages where it may be attached. */
  readonly stages: readonly Stage[];
  readonly needs?: readonly Precondition[];
  /**
   * The caller hanging up ends this type's work rather than cancelling it (leave-voicemail: the
   * hang-up is how most messages end, and what was recorded is kept). When the call ends, other runs
   * are killed at once, while such runs may finish (up to `HANGUP_COMPLETION_MS`, then they are killed
   * as any other) before the call's end is written, so their outputs reach the after-call stage and
   * their history row holds the outcome. Such a type must end its work on its own when the leg ends.
   */
  readonly completesOnHangup?: boolean;
  /** Config fields (dotted, under `config.`) left as raw templates for the type to render itself. */
  readonly rawTemplateFields?: readonly string[];
  /** Extra semantic checks on save beyond the schema; issue fields start with `config.`. */
  validate?(config: Static<S>): FieldIssue[];
  /** JSON-schema arguments when the agent calls it as a tool; undefined = no arguments. */
  argumentSchema?(config: Static<S>): TObject | undefined;
  /** Performs the action. Resolve with outputs (variables for later actions) or throw. */
  exec(ctx: ActionContext<Static<S>>): Promise<ActionOutputs>;
  /** Stops a run in progress (the engine has already aborted `ctx.signal`). */
  kill?(ctx: ActionContext<Static<S>>, reason: string): Promise<void> | void;
  /** Outputs a dry run (simulation) pretends, so later templates render; no side effects. */
  simulate?(ctx: ActionContext<Static<S>>): ActionOutputs;
}

/** Registry entries are stored type-erased. */
export type AnyActionType = ActionType<TSchema>;

/** Helper so each type file keeps its config type inferred. */
export function defineActionType<S extends TSchema>(type: ActionType<S>): AnyActionType {
  return type as unknown as AnyActionType;
}
