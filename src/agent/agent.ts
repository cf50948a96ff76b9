import type { Logger } from '../logging/logger.js';
import type { TemplateScope } from '../templates/template-renderer.js';
import type { MediaSource, PlayOutcome } from '../telephony/port.js';
import type { ToolDescription } from '../actions/tool-description.js';

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
      /** The `ref` of the `action` command this answers. */
      ref?: string;
      /**
       * A background action (`background: true`): `pending` is the immediate answer (it runs while the
       * conversation goes on); the final result comes later as another `action-result` with `pending` unset.
       */
      background?: boolean;
      pending?: boolean;
    }
  /** A `say-stream` command's result: what was said and what the caller heard of it (cut by barge-in). */
  | {
      type: 'spoken';
      said: string;
      heard: string;
      /** Why the line stopped early: caller speech, a key, or the call ending. */
      interrupted?: 'barge-in' | 'dtmf' | 'hangup';
    }
  /** A `dtmf` command's result. */
  | { type: 'dtmf-result'; ok: boolean; sent?: string; error?: { code: string; message: string } }
  /**
   * The caller has said nothing for the agent's `idle.afterMs` since the agent last finished speaking;
   * `count` is how many times in a row (reset by caller speech or a key).
   */
  | { type: 'idle'; count: number; silent_ms: number }
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
  /** answered, transfer-failed, voicemail-left, ended, remote-hold, max-duration (the agent's limit passed). */
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
  /**
   * Speaks text that is still being written (an LLM's token stream): cut into sentences as it comes,
   * each synthesised and played while the next is written. Answered by a `spoken` event. Not
   * available to webhook agents (JSON has no streams).
   */
  | { type: 'say-stream'; text: AsyncIterable<string>; barge_in?: boolean }
  | { type: 'play'; path: string; interrupt?: boolean }
  | GatherCommand
  | {
      type: 'action';
      name: string;
      args?: Record<string, unknown>;
      /** Echoed in the `action-result` (an LLM agent's tool call id). */
      ref?: string;
      /** Lines that keep the caller company while the action runs (no dead air). */
      filler?: ActionFiller;
      /** Runs while the conversation goes on: answered at once as pending, the result comes later. */
      background?: boolean;
    }
  /** Sends DTMF to the far end (navigating a phone tree on an outbound call); answered by `dtmf-result`. */
  | { type: 'dtmf'; digits: string }
  | { type: 'transfer'; target: string; mode?: 'cold' | 'warm'; options?: Record<string, unknown> }
  | { type: 'voicemail'; options?: Record<string, unknown> }
  /** `disposition`: the call's disposition, set before hanging up (e.g. `no-response` after idle reprompts). */
  | { type: 'hangup'; say?: string; reason?: string; disposition?: string }
  /** Values the agent collected (name, reason for calling, …): merged into `collected.*`. */
  | { type: 'collect'; values: Record<string, unknown> }
  /** A transcript line the agent heard itself (its own recogniser): stored, fed to intent triggers. */
  | { type: 'transcript'; text: string; speaker?: 'caller' | 'agent' };

export const RESULT_COMMANDS: ReadonlySet<AgentCommand['type']> = new Set([
  'gather',
  'action',
  'transfer',
  'voicemail',
  'say-stream',
  'dtmf',
]);

/** Filler lines for one action run; each is spoken once, when its moment comes. */
export interface ActionFiller {
  /** Said as the action starts (e.g. "Let me check that for you."). */
  start?: string;
  /** Said when the action is still running after `slow_after_ms` (default 4000). */
  slow?: string;
  slow_after_ms?: number;
  /** Said when the action fails. */
  failed?: string;
}

/** Moments of a turn, marked as they happen (the latency breakdown of `GET /calls/{id}`). */
export type TurnMark = 'first_token' | 'first_sentence';

/**
 * The call's audio, lent to agents that hear and speak audio themselves (`hearsAudio`: a
 * speech-to-speech model): no recogniser runs for them.
 */
export interface AgentMedia {
  /** 20 ms frames of 16-bit PCM at `sampleRate` (8000) from the caller; the frame is the agent's to keep. */
  listen(onFrame: (frame: Int16Array) => void): Promise<{ readonly sampleRate: number; stop(): void }>;
  /**
   * Plays audio to the caller (a `stream` source for audio still arriving); resolves with how much was
   * sent when it ends or `signal` stops it. The played line is not stored: the agent stores transcript
   * lines itself (`transcript` commands).
   */
  play(source: MediaSource, options: { signal: AbortSignal }): Promise<PlayOutcome>;
}

/** What the session lends an agent for one event. */
export interface AgentContext {
  callId: string;
  /** The engine's template and condition scope right now (call, contact, collected, data, actions). */
  scope(): TemplateScope;
  /** Renders a template against `scope()`; `field` names it in errors. */
  render(text: string, field: string): string;
  log: Logger;
  signal: AbortSignal;
  /**
   * Carries out a command now and gives its result (agents that drive their own turn: an LLM agent
   * speaks, runs tools and speaks again within one event). Commands run one at a time.
   */
  perform(command: AgentCommand): Promise<AgentEvent | undefined>;
  /** Queues an event for the agent (a timer of its own, a background result): it is handled in turn. */
  post(event: AgentEvent): void;
  /** The agent's attached actions it may call as tools now (during stage, tool trigger). */
  tools(): ToolDescription[];
  /** Named transfer targets of the agent (`targets`), for a transfer tool's choices. */
  targets(): string[];
  /** Records a call event (a model decision, an agent error) in the call's history. */
  record(type: string, data: Record<string, unknown>): void;
  /** Marks a moment of the current turn for its latency breakdown. */
  mark(moment: TurnMark): void;
  /** The call's audio, for agents with `hearsAudio`. */
  media?: AgentMedia;
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
  /**
   * The agent runs its own turn with `ctx.perform` and bounds its own provider requests: `handle` may
   * take as long as the turn does (tools, transfers), so the session's reply deadline does not apply.
   */
  readonly drivesTurns?: boolean;
  /** The agent takes the caller's audio itself (`ctx.media`): no recogniser runs for the call. */
  readonly hearsAudio?: boolean;
  /** After this much caller silence (once the agent has finished speaking) an `idle` event comes. */
  readonly idleAfterMs?: number;
  /** The longest the call may last with this agent: a `max-duration` call event comes then. */
  readonly maxCallMs?: number;
}
