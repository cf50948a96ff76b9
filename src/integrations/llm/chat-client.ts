import { deadline } from '../../util/deadline.js';
import type { LlmSettings } from '../../config/schema.js';

/**
 * A chat-completions client for any OpenAI-compatible server (OpenAI, Azure OpenAI, vLLM, Ollama,
 * LM Studio, …). One request per call: retries belong to the action engine's failure policy, which
 * reads `LlmError.retryable`.
 */

/** A tool call as an assistant message carries it in the history sent back to the model. */
export interface AssistantToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * One message of the conversation, in the wire shape of the chat-completions API. The server refuses a
 * history where a `tool` message answers no preceding assistant `tool_calls`, or where an assistant's
 * tool call is left without its `tool` answer: keep each call and its answer together.
 */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: AssistantToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A function the model may call; `parameters` is a JSON Schema object. */
export interface ChatTool {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface ChatRequest {
  messages: ChatMessage[];
  tools?: ChatTool[];
  /** Forces a call of this tool (`tool_choice`). */
  toolChoice?: string;
  /** Asks for a JSON object reply (`response_format: {type: "json_object"}`); ignored with tools. */
  json?: boolean;
  maxTokens?: number;
  signal?: AbortSignal;
}

export interface ToolCall {
  id: string;
  name: string;
  /** The raw JSON text the model produced (parse with `parseJsonObject`). */
  arguments: string;
}

/**
 * The assistant turn to put back into the history after a reply: its text (null when it only called
 * tools, as the API sends it) and its tool calls, each to be answered by a `tool` message.
 */
export function assistantMessage(content: string, toolCalls: ToolCall[] = []): ChatMessage {
  if (toolCalls.length === 0) return { role: 'assistant', content };
  return {
    role: 'assistant',
    content: content === '' ? null : content,
    tool_calls: toolCalls.map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    })),
  };
}

export interface ChatReply {
  content: string;
  toolCalls: ToolCall[];
  finishReason: string;
  model: string;
}

export interface ChatClient {
  readonly model: string;
  complete(request: ChatRequest): Promise<ChatReply>;
}

export type LlmErrorCode = 'LLM_HTTP' | 'LLM_TIMEOUT' | 'LLM_UNREACHABLE' | 'LLM_BAD_RESPONSE';

export class LlmError extends Error {
  constructor(
    readonly code: LlmErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    /** How long the provider asked to wait before another request (`retry-after-ms` / `Retry-After`). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'LlmError';
  }
}

type Json = Record<string, unknown>;

/** Parses a JSON object out of model text, tolerating a ```json fence around it. */
export function parseJsonObject(text: string): Json | undefined {
  const fenced = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/i.exec(text);
  try {
    const value = JSON.parse(fenced ? (fenced[1] as string) : text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The structured answer of a reply: the arguments of the named tool call when there is one,
 * else the message content as a JSON object. LLM_BAD_RESPONSE when neither parses.
 */
export function structuredReply(reply: ChatReply, toolName?: string): Json {
  const call = reply.toolCalls.find((c) => !toolName || c.name === toolName) ?? reply.toolCalls[0];
  const parsed = parseJsonObject(call ? call.arguments : reply.content);
  if (!parsed) {
    const what = call ? `the arguments of tool ${call.name}` : 'the reply';
    throw new LlmError('LLM_BAD_RESPONSE', `${what} are not a JSON object`, true);
  }
  return parsed;
}

export type LlmClientSettings = Pick<LlmSettings, 'base_url' | 'api_key' | 'model' | 'timeout_ms'> &
  Partial<Pick<LlmSettings, 'temperature' | 'max_tokens' | 'azure_api_version'>>;

/**
 * The URL and auth headers of the chat-completions endpoint. OpenAI and most compatible servers take
 * `Authorization: Bearer`; Azure OpenAI (base_url …/openai/deployments/<deployment>) takes an
 * `api-key` header and the `api-version` query parameter instead.
 */
export function chatEndpoint(settings: LlmClientSettings): { url: string; headers: Record<string, string> } {
  const base = `${settings.base_url.replace(/\/+$/, '')}/chat/completions`;
  if (settings.azure_api_version) {
    return {
      url: `${base}?api-version=${encodeURIComponent(settings.azure_api_version)}`,
      headers: settings.api_key ? { 'api-key': settings.api_key } : {},
    };
  }
  return { url: base, headers: settings.api_key ? { Authorization: `Bearer ${settings.api_key}` } : {} };
}

/** The request body as the OpenAI chat-completions API documents it. */
export function chatRequestBody(
  settings: LlmClientSettings,
  request: ChatRequest & { temperature?: number; model?: string },
): Json {
  const body: Json = {
    model: request.model ?? settings.model,
    messages: request.messages,
    temperature: request.temperature ?? settings.temperature ?? 0,
    max_tokens: request.maxTokens ?? settings.max_tokens ?? 1024,
  };
  if (request.tools?.length) {
    body.tools = request.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.parameters },
    }));
    if (request.toolChoice) body.tool_choice = { type: 'function', function: { name: request.toolChoice } };
  } else if (request.json) {
    body.response_format = { type: 'json_object' };
  }
  return body;
}

/** The cause of a failed fetch (ECONNREFUSED, ENOTFOUND, …) as the message of LLM_UNREACHABLE. */
export function unreachableError(url: string, err: unknown): LlmError {
  const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
  return new LlmError('LLM_UNREACHABLE', `LLM server ${new URL(url).host} unreachable: ${cause}`, true);
}

export class OpenAiChatClient implements ChatClient {
  readonly model: string;
  private readonly url: string;
  private readonly authHeaders: Record<string, string>;
  private readonly fetchFn: typeof fetch;

  constructor(
    private readonly settings: LlmClientSettings,
    fetchFn?: typeof fetch,
  ) {
    this.model = settings.model;
    ({ url: this.url, headers: this.authHeaders } = chatEndpoint(settings));
    this.fetchFn = fetchFn ?? fetch;
  }

  /** The request body as the OpenAI chat-completions API documents it. */
  body(request: ChatRequest): Json {
    return chatRequestBody(this.settings, request);
  }

  async complete(request: ChatRequest): Promise<ChatReply> {
    const timer = deadline(this.settings.timeout_ms, request.signal);
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(this.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...this.authHeaders },
        body: JSON.stringify(this.body(request)),
        signal: timer.signal,
      });
      text = await res.text();
    } catch (err) {
      if (timer.timedOut) {
        throw new LlmError('LLM_TIMEOUT', `LLM request timed out after ${this.settings.timeout_ms} ms`, true);
      }
      if (request.signal?.aborted) throw err;
      throw unreachableError(this.url, err);
    } finally {
      timer.clear();
    }
    if (!res.ok) throw httpError(res.status, text, res.headers);
    return parseReply(text);
  }
}

/**
 * How long the provider asks to wait: OpenAI's `retry-after-ms`, else `Retry-After` as delay-seconds
 * or an HTTP-date (RFC 9110 §10.2.3).
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The provider's own message (`{"error": {"message": …}}`) when it gives one. */
export function httpError(status: number, text: string, headers?: Headers): LlmError {
  const parsed = parseJsonObject(text);
  const error = parsed?.error;
  const message =
    (error && typeof error === 'object' && typeof (error as Json).message === 'string'
      ? ((error as Json).message as string)
      : typeof error === 'string'
        ? error
        : text.slice(0, 300)) || 'no detail';
  // Throttling and server errors pass; a bad key, model or request will not.
  const retryable = status === 429 || status === 408 || status >= 500;
  return new LlmError(
    'LLM_HTTP',
    `LLM server answered ${status}: ${message}`,
    retryable,
    status,
    headers ? retryAfterMs(headers) : undefined,
  );
}

/**
 * A tool call as the wire carries it. Some compatible servers (Ollama, llama.cpp) send `arguments` as
 * a JSON object instead of its text; an empty text means no arguments.
 */
export function toolCallArguments(raw: unknown): string {
  if (typeof raw === 'string') return raw;
  return raw === undefined || raw === null ? '' : JSON.stringify(raw);
}

export function parseReply(text: string): ChatReply {
  const body = parseJsonObject(text);
  const choices = body?.choices;
  const choice = Array.isArray(choices) ? (choices[0] as Json | undefined) : undefined;
  const message = choice?.message as Json | undefined;
  if (!body || !message) {
    throw new LlmError('LLM_BAD_RESPONSE', 'LLM reply has no choices[0].message', true);
  }
  const toolCalls: ToolCall[] = [];
  for (const raw of Array.isArray(message.tool_calls) ? (message.tool_calls as Json[]) : []) {
    const fn = raw.function as Json | undefined;
    if (!fn || typeof fn.name !== 'string') continue;
    const args = typeof fn.arguments === 'string' ? fn.arguments : JSON.stringify(fn.arguments ?? {});
    toolCalls.push({ id: String(raw.id ?? ''), name: fn.name, arguments: args });
  }
  return {
    content: typeof message.content === 'string' ? message.content : '',
    toolCalls,
    finishReason: String(choice?.finish_reason ?? ''),
    model: String(body.model ?? ''),
  };
}
