import { LlmError, parseJsonObject, toolCallArguments, type ToolCall } from './chat-client.js';

/**
 * What the `chat.completion.chunk` frames of a streamed reply mean, frame by frame: content deltas
 * at once, tool calls once whole, and the end of the reply (`finish_reason`, usage, `[DONE]`).
 */

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export type ChatStreamEvent =
  | { type: 'content'; text: string }
  | { type: 'tool-call'; call: ToolCall }
  | { type: 'done'; finishReason: string; usage?: ChatUsage };

type Json = Record<string, unknown>;

export class CompletionChunks {
  /** Data frames read so far, `[DONE]` included. */
  frames = 0;
  /** `data: [DONE]` arrived: nothing after it belongs to the reply. */
  sawDone = false;
  private finishReason: string | undefined;
  private usage: ChatUsage | undefined;
  private readonly calls = new ToolCallAssembler();

  /** `host` names the server in error messages. */
  constructor(private readonly host: string) {}

  /** The events of one data frame; an error frame or a frame that is not JSON throws. */
  frame(data: string): ChatStreamEvent[] {
    this.frames++;
    if (this.sawDone) return [];
    if (data === '[DONE]') {
      this.sawDone = true;
      return [];
    }
    const frame = parseJsonObject(data);
    if (!frame) {
      throw new LlmError(
        'LLM_BAD_RESPONSE',
        `LLM stream frame ${this.frames} from ${this.host} is not a JSON object: ${data.slice(0, 120)}`,
        true,
      );
    }
    if (frame.error !== undefined && frame.error !== null) throw streamError(frame.error);
    this.usage = readUsage(frame.usage) ?? this.usage;
    const choice = firstChoice(frame.choices);
    if (!choice) return [];
    const events: ChatStreamEvent[] = [];
    const delta = (choice.delta ?? {}) as Json;
    if (typeof delta.content === 'string' && delta.content !== '') {
      events.push({ type: 'content', text: delta.content });
    }
    if (Array.isArray(delta.tool_calls)) this.calls.add(delta.tool_calls as unknown[]);
    if (typeof choice.finish_reason === 'string' && choice.finish_reason !== '') {
      this.finishReason = choice.finish_reason;
      for (const call of this.calls.take()) events.push({ type: 'tool-call', call });
    }
    return events;
  }

  /**
   * The events at the end of the body: tool calls not passed on yet, then `done`. A body that ends
   * with neither `[DONE]` nor a finish_reason was cut: LLM_BAD_RESPONSE.
   */
  end(): ChatStreamEvent[] {
    if (!this.sawDone && this.finishReason === undefined) {
      throw new LlmError(
        'LLM_BAD_RESPONSE',
        `LLM stream from ${this.host} ended without [DONE] or a finish_reason after ${this.frames} frames`,
        true,
      );
    }
    const events: ChatStreamEvent[] = this.calls.take().map((call) => ({ type: 'tool-call', call }));
    events.push({
      type: 'done',
      finishReason: this.finishReason ?? (events.length > 0 ? 'tool_calls' : 'stop'),
      ...(this.usage ? { usage: this.usage } : {}),
    });
    return events;
  }
}

/** `{"error": {...}}` sent as a data frame (vLLM, llama.cpp, OpenAI on an overload mid-stream). */
function streamError(error: unknown): LlmError {
  const e = (error && typeof error === 'object' ? error : { message: String(error) }) as Json;
  const message = typeof e.message === 'string' && e.message ? e.message : JSON.stringify(error);
  const code = typeof e.code === 'number' ? e.code : Number.parseInt(String(e.code ?? ''), 10);
  const status = Number.isInteger(code) && code >= 400 && code < 600 ? code : undefined;
  const retryable = status === undefined || status === 429 || status === 408 || status >= 500;
  return new LlmError('LLM_HTTP', `LLM server sent an error in the stream: ${message}`, retryable, status);
}

function readUsage(raw: unknown): ChatUsage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const u = raw as Json;
  if (typeof u.prompt_tokens !== 'number' || typeof u.completion_tokens !== 'number') return undefined;
  return { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens };
}

/** Choice 0 (we never ask for `n` > 1); the usage chunk has none, some servers send `null`. */
function firstChoice(raw: unknown): Json | undefined {
  if (!Array.isArray(raw)) return undefined;
  const choices = raw.filter((c): c is Json => !!c && typeof c === 'object');
  return choices.find((c) => c.index === 0) ?? choices[0];
}

interface PartialCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Joins the tool-call deltas of a stream. OpenAI sends each call's id and name in its first delta
 * and then pieces of `arguments`, all under the call's `index`. Compatible servers deviate: a whole
 * call in one delta, no `index` (a new `id` or a new name then starts a call, anything else continues
 * the last one), `arguments` as a JSON object.
 */
class ToolCallAssembler {
  private readonly calls = new Map<number, PartialCall>();
  private last: number | undefined;
  private next = 0;

  add(deltas: unknown[]): void {
    for (const raw of deltas) {
      if (!raw || typeof raw !== 'object') continue;
      const delta = raw as Json;
      const fn = (delta.function && typeof delta.function === 'object' ? delta.function : {}) as Json;
      const index = typeof delta.index === 'number' ? delta.index : this.indexOf(delta, fn);
      let call = this.calls.get(index);
      if (!call) {
        call = { id: '', name: '', arguments: '' };
        this.calls.set(index, call);
        this.next = Math.max(this.next, index + 1);
      }
      this.last = index;
      if (typeof delta.id === 'string' && delta.id && !call.id) call.id = delta.id;
      if (typeof fn.name === 'string' && fn.name && !call.name) call.name = fn.name;
      if (typeof fn.arguments === 'string') call.arguments += fn.arguments;
      else if (fn.arguments !== undefined && fn.arguments !== null)
        call.arguments = toolCallArguments(fn.arguments);
    }
  }

  /** The calls so far in index order; LLM_BAD_RESPONSE for a call that never got a name. */
  take(): ToolCall[] {
    const out: ToolCall[] = [];
    for (const [index, call] of [...this.calls].sort((a, b) => a[0] - b[0])) {
      if (!call.name) {
        throw new LlmError(
          'LLM_BAD_RESPONSE',
          `tool call ${index} in the LLM stream has no function name`,
          true,
        );
      }
      out.push({
        id: call.id || `call_${index}_${Math.random().toString(36).slice(2, 10)}`,
        name: call.name,
        // No arguments at all means an empty argument object.
        arguments: call.arguments || '{}',
      });
    }
    this.calls.clear();
    this.last = undefined;
    return out;
  }

  private indexOf(delta: Json, fn: Json): number {
    if (typeof delta.id === 'string' && delta.id) {
      for (const [index, call] of this.calls) if (call.id === delta.id) return index;
      return this.next;
    }
    const last = this.last === undefined ? undefined : this.calls.get(this.last);
    if (!last || (typeof fn.name === 'string' && fn.name && last.name)) return this.next;
    return this.last as number;
  }
}
