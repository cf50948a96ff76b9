import {
  chatEndpoint,
  chatRequestBody,
  httpError,
  LlmError,
  parseReply,
  unreachableError,
  type ChatRequest,
  type LlmClientSettings,
} from './chat-client.js';
import { CompletionChunks, type ChatStreamEvent } from './completion-chunks.js';
import { SseParser } from './sse-parser.js';

/**
 * A streaming chat-completions client (`stream: true`, server-sent events) for OpenAI and compatible
 * servers. Content is passed on as each delta arrives, so speech synthesis can start on the first
 * sentence while the model is still writing; tool calls are passed on once their arguments are whole.
 */

export type { ChatStreamEvent, ChatUsage } from './completion-chunks.js';

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
    const chunks = new CompletionChunks(this.host);
    try {
      while (!chunks.sawDone) {
        let read: Awaited<ReturnType<typeof reader.read>>;
        try {
          // The timer runs only while waiting for the server: time the caller spends on an event
          // (speaking it) is not a server gap.
          guard.arm();
          read = await reader.read();
          guard.disarm();
        } catch (err) {
          throw this.failure(err, guard, caller, 'body', chunks.frames);
        }
        if (read.done) break;
        for (const frame of parser.push(read.value)) {
          for (const event of chunks.frame(frame.data)) {
            progress.emitted = true;
            yield event;
          }
          if (chunks.sawDone) break;
        }
      }
    } finally {
      // Stops the download when the caller leaves early or the server sends past [DONE].
      reader.cancel().catch(() => undefined);
    }
    parser.end();
    for (const event of chunks.end()) {
      progress.emitted = true;
      yield event;
    }
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
