import {
  chatEndpoint,
  chatRequestBody,
  httpError,
  LlmError,
  parseJsonObject,
  parseReply,
  toolCallArguments,
  unreachableError,
  type ChatRequest,
  type LlmClientSettings,
  type ToolCall,
} from './chat-client.js';
import { SseParser } from './sse-parser.js';

/**
 * A streaming chat-completions client (`stream: true`, server-sent events) for OpenAI and compatible
 * servers. Content is passed on as each delta arrives, so speech synthesis can start on the first
 * sentence while the model is still writing; tool calls are passed on once their arguments are whole.
 */

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export type ChatStreamEvent =
  | { type: 'content'; text: string }
  | { type: 'tool-call'; call: ToolCall }
  | { type: 'done'; finishReason: string; usage?: ChatUsage };

/** Per-request `model` and `temperature` win over the settings: each agent carries its own. */
export type StreamingChatRequest = ChatRequest & { temperature?: number; model?: string };

export interface StreamingChatClient {
  readonly model: string;
  stream(request: StreamingChatRequest): AsyncIterable<ChatStreamEvent>;
}

export interface StreamingChatOptions {
  /** Further attempts after a 429, a 5xx or an unreachable server, only before any event (default 1). */
  retries?: number;
  /** Longest wait before a retry; a provider asking for longer fails at once (default 2000 ms). */
  maxRetryWaitMs?: number;
  /** Asks for the final usage chunk (`stream_options.include_usage`, default true). */
  includeUsage?: boolean;
  fetchFn?: typeof fetch;
}

/** The wait before a retry when the provider names none. */
const DEFAULT_RETRY_WAIT_MS = 200;

type Json = Record<string, unknown>;

export class OpenAiStreamingChatClient implements StreamingChatClient {
  readonly model: string;
  private readonly url: string;
  private readonly host: string;
  private readonly authHeaders: Record<string, string>;
  private readonly fetchFn: typeof fetch;
  private readonly retries: number;
  private readonly maxRetryWaitMs: number;
  private readonly includeUsage: boolean;

  constructor(
    private readonly settings: LlmClientSettings,
    options: StreamingChatOptions = {},
  ) {
    this.model = settings.model;
    ({ url: this.url, headers: this.authHeaders } = chatEndpoint(settings));
    this.host = new URL(this.url).host;
    this.fetchFn = options.fetchFn ?? fetch;
    this.retries = options.retries ?? 1;
    this.maxRetryWaitMs = options.maxRetryWaitMs ?? 2000;
    this.includeUsage = options.includeUsage ?? true;
  }

  async *stream(request: StreamingChatRequest): AsyncGenerator<ChatStreamEvent> {
    const caller = request.signal;
    if (caller?.aborted) throw caller.reason;
    const body = JSON.stringify({
      ...chatRequestBody(this.settings, request),
      stream: true,
      ...(this.includeUsage ? { stream_options: { include_usage: true } } : {}),
    });
    const progress = { emitted: false };
    for (let attempt = 0; ; attempt++) {
      const guard = new RequestGuard(this.settings.timeout_ms, caller);
      try {
        const res = await this.open(body, guard, caller);
        yield* this.events(res, guard, caller, progress);
        return;
      } catch (err) {
        guard.close();
        // Never after an event: the caller may already have spoken the first words of the reply.
        if (progress.emitted || attempt >= this.retries || !retriedBeforeEvents(err)) throw err;
        const wait = err.retryAfterMs ?? DEFAULT_RETRY_WAIT_MS;
        // A live call is not left waiting on a provider that asks for long: fail now, the caller decides.
        if (wait > this.maxRetryWaitMs) throw err;
        await sleep(wait, caller);
      } finally {
        guard.close();
      }
    }
  }

  /** Sends the request; a non-2xx answer becomes LLM_HTTP with the provider's message. */
  private async open(body: string, guard: RequestGuard, caller?: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      guard.arm();
      res = await this.fetchFn(this.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', ...this.authHeaders },
        body,
        signal: guard.signal,
      });
      guard.disarm();
    } catch (err) {
      throw this.failure(err, guard, caller, 'headers', 0);
    }
    if (res.ok) return res;
    let text: string;
    try {
      guard.arm();
      text = await res.text();
    } catch (err) {
      throw this.failure(err, guard, caller, 'body', 0);
    }
    throw httpError(res.status, text, res.headers);
  }

  private async *events(
    res: Response,
    guard: RequestGuard,
    caller: AbortSignal | undefined,
    progress: { emitted: boolean },
  ): AsyncGenerator<ChatStreamEvent> {
    if (!res.body) throw new LlmError('LLM_BAD_RESPONSE', `LLM server ${this.host} sent no body`, true);
    // A server that ignores `stream: true` answers one chat.completion object.
    if (/^application\/json\b/i.test(res.headers.get('content-type') ?? '')) {
      let text: string;
      try {
        guard.arm();
        text = await res.text();
        guard.disarm();
      } catch (err) {
        throw this.failure(err, guard, caller, 'body', 0);
      }
      const reply = parseReply(text);
      progress.emitted = true;
      if (reply.content) yield { type: 'content', text: reply.content };
      for (const call of reply.toolCalls) yield { type: 'tool-call', call };
      yield { type: 'done', finishReason: reply.finishReason || 'stop' };
      return;
    }
    const reader = res.body.getReader();
    const parser = new SseParser();
    const calls = new ToolCallAssembler();
    let frames = 0;
    let finishReason: string | undefined;
    let usage: ChatUsage | undefined;
    let sawDone = false;
    try {
      while (!sawDone) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          // The timer runs only while waiting for the server: time the caller spends on an event
          // (speaking it) is not a server gap.
          guard.arm();
          chunk = await reader.read();
          guard.disarm();
        } catch (err) {
          throw this.failure(err, guard, caller, 'body', frames);
        }
        if (chunk.done) break;
        for (const event of parser.push(chunk.value)) {
          frames++;
          if (event.data === '[DONE]') {
            sawDone = true;
            break;
          }
          const frame = parseJsonObject(event.data);
          if (!frame) {
            throw new LlmError(
              'LLM_BAD_RESPONSE',
              `LLM stream frame ${frames} from ${this.host} is not a JSON object: ${event.data.slice(0, 120)}`,
              true,
            );
          }
          if (frame.error !== undefined && frame.error !== null) throw streamError(frame.error);
          usage = readUsage(frame.usage) ?? usage;
          const choice = firstChoice(frame.choices);
          if (!choice) continue;
          const delta = (choice.delta ?? {}) as Json;
          if (typeof delta.content === 'string' && delta.content !== '') {
            progress.emitted = true;
            yield { type: 'content', text: delta.content };
          }
          if (Array.isArray(delta.tool_calls)) calls.add(delta.tool_calls as unknown[]);
          if (typeof choice.finish_reason === 'string' && choice.finish_reason !== '') {
            finishReason = choice.finish_reason;
            for (const call of calls.take()) {
              progress.emitted = true;
              yield { type: 'tool-call', call };
            }
          }
        }
      }
    } finally {
      // Stops the download when the caller leaves early or the server sends past [DONE].
      reader.cancel().catch(() => undefined);
    }
    parser.end();
    if (!sawDone && finishReason === undefined) {
      throw new LlmError(
        'LLM_BAD_RESPONSE',
        `LLM stream from ${this.host} ended without [DONE] or a finish_reason after ${frames} frames`,
        true,
      );
    }
    const rest = calls.take();
    for (const call of rest) {
      progress.emitted = true;
      yield { type: 'tool-call', call };
    }
    progress.emitted = true;
    yield {
      type: 'done',
      finishReason: finishReason ?? (rest.length > 0 ? 'tool_calls' : 'stop'),
      ...(usage ? { usage } : {}),
    };
  }

  /** What a failed wait means: the caller's abort (rethrown as is), a timeout, or a network failure. */
  private failure(
    err: unknown,
    guard: RequestGuard,
    caller: AbortSignal | undefined,
    phase: 'headers' | 'body',
    frames: number,
  ): unknown {
    if (caller?.aborted) return caller.reason;
    const ms = this.settings.timeout_ms;
    if (guard.timedOut) {
      const message =
        phase === 'headers'
          ? `LLM server ${this.host} sent no response within ${ms} ms`
          : frames === 0
            ? `LLM server ${this.host} sent no stream data within ${ms} ms`
            : `LLM stream from ${this.host} stalled: no data for ${ms} ms after ${frames} frames`;
      return new LlmError('LLM_TIMEOUT', message, true);
    }
    if (err instanceof LlmError) return err;
    if (phase === 'headers') return unreachableError(this.url, err);
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    return new LlmError(
      'LLM_BAD_RESPONSE',
      `LLM stream from ${this.host} broke off after ${frames} frames: ${cause}`,
      true,
    );
  }
}

function retriedBeforeEvents(err: unknown): err is LlmError {
  if (!(err instanceof LlmError)) return false;
  if (err.code === 'LLM_UNREACHABLE') return true;
  return err.code === 'LLM_HTTP' && err.status !== undefined && (err.status === 429 || err.status >= 500);
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

/**
 * The abort controller of one attempt: the caller's signal cancels it at once, and a timer of
 * `timeout_ms` runs while waiting on the server (headers, then each chunk).
 */
class RequestGuard {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  timedOut = false;
  private readonly onCallerAbort = (): void => this.controller.abort(this.caller?.reason);

  constructor(
    private readonly timeoutMs: number,
    private readonly caller?: AbortSignal,
  ) {
    caller?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Error(`no data for ${this.timeoutMs} ms`));
    }, this.timeoutMs);
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.disarm();
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
