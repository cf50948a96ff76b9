/**
 * A local server speaking OpenAI's chat-completions wire format (`POST /v1/chat/completions`, and
 * Azure OpenAI's `/openai/deployments/<deployment>/chat/completions?api-version=`): streamed replies
 * as `chat.completion.chunk` server-sent events the way OpenAI sends them (content in small pieces,
 * tool-call arguments split at arbitrary points, a finish chunk, the usage chunk, `data: [DONE]`),
 * non-streamed replies as one `chat.completion`, OpenAI's error bodies, and the deviations of
 * compatible servers (Ollama's whole tool calls, CRLF line ends, `: ping` comments). Plain node:http so
 * the test controls every byte and every delay (real timers).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { streamReply, wholeReply, type ReplySpec } from './openai-chat-replies.js';
import { validateChatBody, type OpenAiErrorBody } from './openai-chat-validation.js';

export { contentPieces, type ReplySpec, type ToolCallSpec } from './openai-chat-replies.js';

type Json = Record<string, unknown>;

export interface RecordedRequest {
  method: string;
  /** The path without the query. */
  path: string;
  query: Record<string, string>;
  /** The Azure deployment named in the path. */
  deployment?: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body ({} when it is not a JSON object). */
  body: Json;
  /** The body as sent. */
  rawBody: string;
  /** The status answered. */
  status?: number;
  /** The client closed the connection before the reply was complete. */
  clientClosedEarly: boolean;
  /** Resolves when the response is over, whichever side ended it. */
  closed: Promise<void>;
}

export interface ChatServerOptions {
  /** The key clients must send (Bearer, or Azure's `api-key`); no check when unset. */
  apiKey?: string;
  /** The reply to the n-th accepted chat request (0-based). Default: the content "Hello.". */
  reply?: (body: Json, index: number) => ReplySpec | Promise<ReplySpec>;
  /** Writes streamed bodies in fragments of this many bytes, yielding to the event loop between them. */
  splitWritesAt?: number;
  /** `\r\n` as llama.cpp-style servers may send; default `\n`. */
  lineEnding?: '\n' | '\r\n';
  /** Sends an SSE comment `: ping` before each frame, as keep-alive proxies do. */
  pings?: boolean;
}

export interface ChatServer {
  /** The base URL to configure: http://127.0.0.1:<port>/v1. */
  url: string;
  origin: string;
  /** The Azure-style base URL of a deployment: <origin>/openai/deployments/<deployment>. */
  azureUrl(deployment: string): string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const AZURE_PATH = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/;

export async function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const record = recordOf(req, url, Buffer.concat(chunks).toString('utf8'), res);
      requests.push(record);
      answer(record, res, options, () => accepted++).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, record, 500, serverError(String(err)));
        else res.destroy();
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/v1`,
    origin,
    azureUrl: (deployment) => `${origin}/openai/deployments/${deployment}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function recordOf(
  req: http.IncomingMessage,
  url: URL,
  raw: string,
  res: http.ServerResponse,
): RecordedRequest {
  let body: Json = {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Json;
  } catch {
    // Recorded as {}; answer() refuses it.
  }
  const record: RecordedRequest = {
    method: req.method ?? '',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: req.headers,
    body,
    rawBody: raw,
    clientClosedEarly: false,
    closed: new Promise<void>((resolve) =>
      res.on('close', () => {
        record.clientClosedEarly = !res.writableFinished;
        resolve();
      }),
    ),
  };
  const azure = AZURE_PATH.exec(url.pathname);
  if (azure) record.deployment = decodeURIComponent(azure[1] as string);
  return record;
}

async function answer(
  record: RecordedRequest,
  res: http.ServerResponse,
  options: ChatServerOptions,
  nextIndex: () => number,
): Promise<void> {
  const azure = record.deployment !== undefined;
  if (record.method !== 'POST' || (!azure && record.path !== '/v1/chat/completions')) {
    sendError(res, record, 404, invalid(`Invalid URL (${record.method} ${record.path})`));
    return;
  }
  if (azure && !record.query['api-version']) {
    // Azure's own answer (its error object has no type/param).
    sendJson(res, record, 404, {
      error: {
        code: 'MissingApiVersionParameter',
        message: 'The api-version query parameter (?api-version=) is required for all requests.',
      },
    });
    return;
  }
  if (options.apiKey !== undefined) {
    const given = azure
      ? (record.headers['api-key'] as string | undefined)
      : bearer(record.headers.authorization);
    if (given !== options.apiKey) {
      if (azure) {
        sendJson(res, record, 401, {
          error: {
            code: '401',
            message:
              'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
          },
        });
      } else {
        sendError(res, record, 401, {
          ...invalid(
            given
              ? `Incorrect API key provided: ${redact(given)}. You can find your API key at https://platform.openai.com/account/api-keys.`
              : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
          ),
          code: given ? 'invalid_api_key' : null,
        });
      }
      return;
    }
  }
  if (!isJsonObject(record.rawBody)) {
    sendError(
      res,
      record,
      400,
      invalid(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      ),
    );
    return;
  }
  const problem = validateChatBody(record.body, !azure);
  if (problem) {
    sendError(res, record, 400, problem);
    return;
  }
  const reply = options.reply ?? ((): ReplySpec => ({ content: 'Hello.' }));
  const spec = await reply(record.body, nextIndex());
  if (spec.error) {
    const e = spec.error;
    const headers: Record<string, string> = {};
    if (e.retryAfterS !== undefined) {
      headers['retry-after'] = String(e.retryAfterS);
      headers['retry-after-ms'] = String(e.retryAfterS * 1000);
    }
    const type =
      e.type ?? (e.status === 429 ? 'requests' : e.status >= 500 ? 'server_error' : 'invalid_request_error');
    const code = e.code ?? (e.status === 429 ? 'rate_limit_exceeded' : null);
    sendError(res, record, e.status, { message: e.message, type, param: null, code }, headers);
    return;
  }
  if (record.body.stream === true) {
    record.status = 200;
    await streamReply(record, res, spec, options);
  } else {
    sendJson(res, record, 200, await wholeReply(record, spec));
  }
}

function isJsonObject(text: string): boolean {
  try {
    const value = JSON.parse(text) as unknown;
    return !!value && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

const bearer = (auth: string | undefined): string | undefined => /^Bearer (.+)$/.exec(auth ?? '')?.[1];
/** OpenAI quotes only the ends of a refused key. */
const redact = (key: string): string => (key.length > 8 ? `${key.slice(0, 3)}*****${key.slice(-4)}` : key);
const invalid = (message: string): OpenAiErrorBody => ({
  message,
  type: 'invalid_request_error',
  param: null,
  code: null,
});
const serverError = (message: string): OpenAiErrorBody => ({
  message,
  type: 'server_error',
  param: null,
  code: null,
});

function sendJson(
  res: http.ServerResponse,
  record: RecordedRequest,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  record.status = status;
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}

function sendError(
  res: http.ServerResponse,
  record: RecordedRequest,
  status: number,
  error: OpenAiErrorBody,
  headers: Record<string, string> = {},
): void {
  sendJson(res, record, status, { error }, headers);
}
