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
  | { type: 'transfer-result'; ok: boolean; target: string; outcome: Record<string, unknown> }
  | { type: 'voicemail-result'; ok: boolean; outcome: Record<string, unknown> }
  /** answered, transfer-failed, voicemail-left, ended, remote-hold. */
  | { type: 'call-event'; event: string; detail?: Record<string, unknown> };

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
}

export type AgentCommand =
  | { type: 'say'; text: string; interrupt?: boolean }
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
}
