import type { LlmSettings } from '../../config/schema.js';

/**
 * A chat-completions client for any OpenAI-compatible server (OpenAI, Azure OpenAI, vLLM, Ollama,
 * LM Studio, …). One request per call: retries belong to the action engine's failure policy, which
 * reads `LlmError.retryable`.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

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
  Partial<Pick<LlmSettings, 'temperature' | 'max_tokens'>>;

export class OpenAiChatClient implements ChatClient {
  readonly model: string;
  private readonly url: string;
  private readonly fetchFn: typeof fetch;

  constructor(
    private readonly settings: LlmClientSettings,
    fetchFn?: typeof fetch,
  ) {
    this.model = settings.model;
    this.url = `${settings.base_url.replace(/\/+$/, '')}/chat/completions`;
    this.fetchFn = fetchFn ?? fetch;
  }

  /** The request body as the OpenAI chat-completions API documents it. */
  body(request: ChatRequest): Json {
    const body: Json = {
      model: this.settings.model,
      messages: request.messages,
      temperature: this.settings.temperature ?? 0,
      max_tokens: request.maxTokens ?? this.settings.max_tokens ?? 1024,
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

  async complete(request: ChatRequest): Promise<ChatReply> {
    const timeout = AbortSignal.timeout(this.settings.timeout_ms);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(this.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          ...(this.settings.api_key ? { Authorization: `Bearer ${this.settings.api_key}` } : {}),
        },
        body: JSON.stringify(this.body(request)),
        signal,
      });
      text = await res.text();
    } catch (err) {
      if (timeout.aborted) {
        throw new LlmError('LLM_TIMEOUT', `LLM request timed out after ${this.settings.timeout_ms} ms`, true);
      }
      if (request.signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new LlmError(
        'LLM_UNREACHABLE',
        `LLM server ${new URL(this.url).host} unreachable: ${cause}`,
        true,
      );
    }
    if (!res.ok) throw httpError(res.status, text);
    return parseReply(text);
  }
}

/** The provider's own message (`{"error": {"message": …}}`) when it gives one. */
function httpError(status: number, text: string): LlmError {
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
  return new LlmError('LLM_HTTP', `LLM server answered ${status}: ${message}`, retryable, status);
}

function parseReply(text: string): ChatReply {
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
