/**
 * The replies of the chat-completions double: one `chat.completion` object, or the
 * `chat.completion.chunk` event stream OpenAI sends for `stream: true` (see openai-chat-server.ts).
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';

type Json = Record<string, unknown>;

export interface ToolCallSpec {
  name: string;
  /** An object is sent as its JSON text (an `ollama-whole-tool-call` reply sends the object itself). */
  arguments: Record<string, unknown> | string;
  id?: string;
}

export interface ReplySpec {
  content?: string;
  toolCalls?: ToolCallSpec[];
  /** Default: `tool_calls` when there are tool calls, else `stop`. */
  finishReason?: string;
  /** Wait after the response headers before the first chunk. */
  firstTokenDelayMs?: number;
  /** Wait before each further chunk. */
  tokenDelayMs?: number;
  /** Answer this status with OpenAI's error body instead of a reply. */
  error?: { status: number; message: string; type?: string; code?: string; retryAfterS?: number };
  /** `ollama-whole-tool-call`: each tool call whole in one delta, without `index`. */
  dialect?: 'openai' | 'ollama-whole-tool-call';
  /** Sends `data: {"error": {...}}` with this message halfway through the content, then ends the body. */
  midStreamError?: string;
  /** Ends the body after the content and tool calls: no finish chunk, no `[DONE]`. */
  cutStream?: boolean;
}

const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

/** Content in token-sized pieces: leading spaces and up to five more characters (code points). */
export function contentPieces(content: string): string[] {
  return [...content.matchAll(/\s*\S{1,5}|\s+/gu)].map((m) => m[0]);
}

/** Text cut every `size` code points. */
function pieces(text: string, size: number): string[] {
  const chars = [...text];
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out.length > 0 ? out : [''];
}

interface WireCall {
  id: string;
  name: string;
  arguments: string;
  raw: Record<string, unknown> | string;
}

function wireCalls(spec: ReplySpec): WireCall[] {
  return (spec.toolCalls ?? []).map((c) => ({
    id: c.id ?? `call_${randomBytes(12).toString('base64url')}`,
    name: c.name,
    arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments),
    raw: c.arguments,
  }));
}

function finishOf(spec: ReplySpec, calls: WireCall[]): string {
  return spec.finishReason ?? (calls.length > 0 ? 'tool_calls' : 'stop');
}

function usageOf(body: Json, completionTokens: number): Json {
  const prompt = Math.ceil(JSON.stringify(body.messages ?? []).length / 4);
  return {
    prompt_tokens: prompt,
    completion_tokens: completionTokens,
    total_tokens: prompt + completionTokens,
  };
}

const completionId = (): string => `chatcmpl-${randomBytes(15).toString('base64url')}`;
const FINGERPRINT = 'fp_0ba0d124f1';

/** What a request is answered from: its body and, on Azure's path, the deployment it names. */
export interface ReplyContext {
  body: Json;
  deployment?: string;
}

/** A `chat.completion` object, after `firstTokenDelayMs`. */
export async function wholeReply(request: ReplyContext, spec: ReplySpec): Promise<Json> {
  await sleep(spec.firstTokenDelayMs ?? 0);
  const calls = wireCalls(spec);
  const message: Json = { role: 'assistant', content: spec.content ?? null, refusal: null };
  if (calls.length > 0) {
    message.tool_calls = calls.map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
  }
  return {
    id: completionId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.body.model ?? request.deployment,
    system_fingerprint: FINGERPRINT,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishOf(spec, calls) }],
    usage: usageOf(request.body, contentPieces(spec.content ?? '').length + calls.length),
  };
}

/** How the server writes its event streams (see ChatServerOptions). */
export interface StreamWriting {
  splitWritesAt?: number;
  lineEnding?: '\n' | '\r\n';
  pings?: boolean;
}

/** Writes the reply as OpenAI streams it: headers at once, then chunks at the spec's pace. */
export async function streamReply(
  request: ReplyContext,
  res: http.ServerResponse,
  spec: ReplySpec,
  options: StreamWriting,
): Promise<void> {
  const eol = options.lineEnding ?? '\n';
  const ollama = spec.dialect === 'ollama-whole-tool-call';
  const withUsage = (request.body.stream_options as Json | undefined)?.include_usage === true;
  const id = completionId();
  const created = Math.floor(Date.now() / 1000);
  const model = request.body.model ?? request.deployment;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
  });
  res.flushHeaders();
  let open = true;
  res.on('close', () => (open = false));

  const write = async (text: string): Promise<void> => {
    const data = Buffer.from(text, 'utf8');
    const size = options.splitWritesAt ?? data.length;
    for (let i = 0; i < data.length && open; i += size) {
      res.write(data.subarray(i, i + size));
      // A turn of the event loop per fragment, so the client reads them one by one.
      if (options.splitWritesAt) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const frame = async (payload: unknown): Promise<void> => {
    const ping = options.pings ? `: ping${eol}${eol}` : '';
    await write(
      `${ping}data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}${eol}${eol}`,
    );
  };
  const chunk = (delta: Json, finish: string | null = null): Json => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    ...(ollama ? {} : { system_fingerprint: FINGERPRINT }),
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(withUsage ? { usage: null } : {}),
  });

  const calls = wireCalls(spec);
  const text = contentPieces(spec.content ?? '');
  let sent = 0;
  await sleep(spec.firstTokenDelayMs ?? 0);
  if (!open) return;
  // OpenAI opens with the role; a reply that is only tool calls carries it in the first call's delta.
  if (text.length > 0 || calls.length === 0)
    await frame(chunk({ role: 'assistant', content: '', refusal: null }));
  const errorAt = spec.midStreamError === undefined ? -1 : Math.floor(text.length / 2);
  if (errorAt === 0 && text.length === 0) {
    await frame({ error: { message: spec.midStreamError, type: 'server_error', param: null, code: null } });
    res.end();
    return;
  }
  for (const [i, piece] of text.entries()) {
    if (i === errorAt) {
      await frame({ error: { message: spec.midStreamError, type: 'server_error', param: null, code: null } });
      res.end();
      return;
    }
    await sleep(spec.tokenDelayMs ?? 0);
    if (!open) return;
    await frame(chunk({ content: piece }));
    sent++;
  }
  const role = text.length > 0 ? {} : { role: 'assistant', content: null };
  if (ollama && calls.length > 0) {
    await sleep(spec.tokenDelayMs ?? 0);
    await frame(
      chunk({
        ...role,
        tool_calls: calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.raw },
        })),
      }),
    );
    sent += calls.length;
  } else {
    for (const [index, c] of calls.entries()) {
      await sleep(spec.tokenDelayMs ?? 0);
      if (!open) return;
      const first = { index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } };
      await frame(chunk({ ...(index === 0 ? role : {}), tool_calls: [first] }));
      for (const part of pieces(c.arguments, 7)) {
        await sleep(spec.tokenDelayMs ?? 0);
        if (!open) return;
        await frame(chunk({ tool_calls: [{ index, function: { arguments: part } }] }));
        sent++;
      }
    }
  }
  if (spec.cutStream) {
    res.end();
    return;
  }
  await frame(chunk({}, finishOf(spec, calls)));
  if (withUsage) {
    await frame({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      system_fingerprint: FINGERPRINT,
      choices: [],
      usage: usageOf(request.body, sent),
    });
  }
  await frame('[DONE]');
  res.end();
}
