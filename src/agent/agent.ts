import type { Logger } from '../logging/logger.js';
import type { TemplateScope } from '../templates/template-renderer.js';

/**
 * The conversational brain behind one narrow interface. The call session feeds it events and carries
 * out the commands it answers with; the agent never touches telephony or the store itself.
 *
 * Commands that produce a result (`gather`, `action`, `transfer`, `voicemail`) end a command list: the
 * session runs them, then sends the result back as the next event. Commands after one of them in the
 * same list are dropped (logged). `hangup` ends the call after anything before it has played.
 */
export type AgentEvent =
  | { type: 'call-started'; call: Record<string, unknown>; variables: Record<string, unknown> }
  /** A transcript line from the recogniser, the webhook or `POST /calls/:id/transcript`. */
  | { type: 'transcript'; text: string; speaker: 'caller' | 'agent'; final: boolean }
  /** A key pressed while no gather was waiting (it is also kept for the next gather). */
  | { type: 'dtmf'; digit: string }
  | {
      type: 'gather-result';
      /** `dtmf` or `speech` when input came; `timeout` when none came in time; `hangup` if the caller left. */
      input: 'dtmf' | 'speech' | 'timeout' | 'hangup';
      digits?: string;
      text?: string;
    }
  | {
      type: 'action-result';
      action: string;
      ok: boolean;
      outputs?: Record<string, unknown>;
      error?: { code: string; message: string };
    }
  /**
   * A `transfer` command's result: `outcome` when the transfer was attempted (a failed one leaves the
   * caller with the agent), `error` when it could not start (bad config, no live call, no telephony).
   */
  | {
      type: 'transfer-result';
      ok: boolean;
      target: string;
      outcome?: TransferOutcome;
      error?: { code: string; message: string };
    }
  /** A `voicemail` command's result: `outcome` when recording started, `error` when it could not. */
  | {
      type: 'voicemail-result';
      ok: boolean;
      outcome?: VoicemailOutcome;
      error?: { code: string; message: string };
    }
  /** answered, transfer-failed, voicemail-left, ended, remote-hold. */
  | { type: 'call-event'; event: string; detail?: Record<string, unknown> };

/**
 * Typed outcomes of the call flows. The call layer produces them (src/calls/flow-actions); the agent
 * receives the same values in `transfer-result` / `voicemail-result`, and the call session learns of a
 * hand-off from them. Field names are snake_case because they are also the webhook agent's JSON.
 */
export interface TransferOutcome {
  flow: 'transfer';
  mode: 'cold' | 'warm';
  /** The target's label, e.g. `sales (sip:sales@pbx.example)`. */
  target: string;
  /**
   * completed = the peer took the call by REFER; connected = bridged (cold fallback or warm);
   * failed = the caller is still with the agent.
   */
  result: 'completed' | 'connected' | 'failed';
  /** How the call left: REFER (RFC 3515) or a bridged second leg; `none` when nothing was tried. */
  method: 'refer' | 'bridge' | 'none';
  /** Why it failed (busy, no-answer, declined, caller-hung-up, …). */
  reason?: string;
  /** The SIP final status behind a failure (486, 603, …), when there was one. */
  status?: number;
  /** Whether the call left the agent (result is completed or connected). */
  handed_off: boolean;
}

/** What became of the voicemail's notification email. */
export type VoicemailEmailStatus =
  | { status: 'none' }
  | { status: 'queued'; outbox_id: number }
  | { status: 'sent'; message_id: string; attempts: number }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; error: string };

export type VoicemailOutcome =
  | {
      flow: 'voicemail';
      saved: true;
      voicemail_id: string;
      duration_ms: number;
      /** Why recording stopped: the end key, silence, the length limit or the caller hanging up. */
      end: string;
      email: VoicemailEmailStatus;
    }
  | { flow: 'voicemail'; saved: false; reason: 'caller-hung-up' | 'too-short' }
  /** Nothing above the silence threshold was heard: the recording was discarded (levels in dBFS). */
  | {
      flow: 'voicemail';
      saved: false;
      reason: 'silent';
      level_dbfs: number;
      peak_dbfs: number;
      threshold_dbfs: number;
    };

export interface IvrOutcome {
  flow: 'ivr';
  sequence: string;
  /** Every digit sent, in order. */
  sent: string;
  method: 'rfc4733' | 'info';
  status: 'completed' | 'hangup' | 'cancelled';
  duration_ms: number;
}

export type CallFlowOutcome = TransferOutcome | VoicemailOutcome | IvrOutcome;

export type GatherInput = 'dtmf' | 'speech' | 'any';

export interface GatherCommand {
  type: 'gather';
  input: GatherInput;
  /** Played (interruptible by a key) before listening. */
  prompt?: string;
  /** Finish after this many digits (default 1). */
  max_digits?: number;
  /** A key that ends the input early and is not part of it (e.g. '#'). */
  finish_on_key?: string;
  /** How long to wait for the first input once the prompt has played (default 5000). */
  timeout_ms?: number;
  /** Gap allowed between digits (default 3000). */
  inter_digit_timeout_ms?: number;
  /** The answers the question expects (a recogniser may restrict itself to them), e.g. ["yes", "no"]. */
  expect?: string[];
  /** Caller speech stops the prompt (default: the agent's barge-in setting). */
  barge_in?: boolean;
}

export type AgentCommand =
  | {
      type: 'say';
      text: string;
      /** A key stops it. */
      interrupt?: boolean;
      /** Caller speech (or a key) stops it; default the agent's barge-in setting. False for disclaimers. */
      barge_in?: boolean;
    }
  | { type: 'play'; path: string; interrupt?: boolean }
  | GatherCommand
  | { type: 'action'; name: string; args?: Record<string, unknown> }
  | { type: 'transfer'; target: string; mode?: 'cold' | 'warm'; options?: Record<string, unknown> }
  | { type: 'voicemail'; options?: Record<string, unknown> }
  | { type: 'hangup'; say?: string; reason?: string }
  /** Values the agent collected (name, reason for calling, …): merged into `collected.*`. */
  | { type: 'collect'; values: Record<string, unknown> }
  /** A transcript line the agent heard itself (its own recogniser): stored, fed to intent triggers. */
  | { type: 'transcript'; text: string; speaker?: 'caller' | 'agent' };

export const RESULT_COMMANDS: ReadonlySet<AgentCommand['type']> = new Set([
  'gather',
  'action',
  'transfer',
  'voicemail',
]);

/** What the session lends an agent for one event. */
export interface AgentContext {
  callId: string;
  /** The engine's template and condition scope right now (call, contact, collected, data, actions). */
  scope(): TemplateScope;
  /** Renders a template against `scope()`; `field` names it in errors. */
  render(text: string, field: string): string;
  log: Logger;
  signal: AbortSignal;
}

export interface Agent {
  readonly kind: string;
  handle(event: AgentEvent, ctx: AgentContext): Promise<AgentCommand[]>;
  /** Phrases the agent reacts to (a scripted agent's branch intents), as recognition hints. */
  listensFor?(): string[];
  /**
   * Partial caller lines are delivered too, as `transcript` events with `final: false`, while the
   * recogniser revises them (the latest one only, when the agent is still busy with an earlier event).
   */
  readonly hearsPartials?: boolean;
}
