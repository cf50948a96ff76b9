import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  assistantMessage,
  LlmError,
  OpenAiChatClient,
  type ChatMessage,
  type LlmClientSettings,
} from '../../../../src/integrations/llm/chat-client.js';
import {
  OpenAiStreamingChatClient,
  type ChatStreamEvent,
  type StreamingChatOptions,
  type StreamingChatRequest,
} from '../../../../src/integrations/llm/chat-stream.js';
import {
  contentPieces,
  startChatServer,
  type ChatServer,
  type ChatServerOptions,
} from '../../../helpers/llm-providers/openai-chat-server.js';

const KEY = 'sk-test-chat-stream-key-1234';
const servers: ChatServer[] = [];
const rawServers: http.Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(rawServers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function server(options: ChatServerOptions): Promise<ChatServer> {
  const s = await startChatServer({ apiKey: KEY, ...options });
  servers.push(s);
  return s;
}

function client(
  base: string,
  settings: Partial<LlmClientSettings> = {},
  options: StreamingChatOptions = {},
): OpenAiStreamingChatClient {
  return new OpenAiStreamingChatClient(
    { base_url: base, api_key: KEY, model: 'gpt-4o-mini', timeout_ms: 5000, temperature: 0.3, ...settings },
    options,
  );
}

const ask = (text = 'Hi'): StreamingChatRequest => ({ messages: [{ role: 'user', content: text }] });

interface Timed {
  event: ChatStreamEvent;
  at: number;
}

async function collect(events: AsyncIterable<ChatStreamEvent>): Promise<Timed[]> {
  const out: Timed[] = [];
  for await (const event of events) out.push({ event, at: performance.now() });
  return out;
}

async function failure(
  events: AsyncIterable<ChatStreamEvent>,
  seen: ChatStreamEvent[] = [],
): Promise<unknown> {
  try {
    for await (const event of events) seen.push(event);
  } catch (err) {
    return err;
  }
  throw new Error(`the stream ended without an error after ${JSON.stringify(seen)}`);
}

const text = (timed: Timed[]): string =>
  timed.map((t) => (t.event.type === 'content' ? t.event.text : '')).join('');
const kinds = (timed: Timed[]): string[] => timed.map((t) => t.event.type);
const toolCalls = (timed: Timed[]) =>
  timed.flatMap((t) => (t.event.type === 'tool-call' ? [t.event.call] : []));
const done = (timed: Timed[]) => {
  const last = timed.at(-1)?.event;
  if (last?.type !== 'done') throw new Error(`last event is ${last?.type}`);
  return last;
};

const weatherTools = [
  {
    name: 'get_weather',
    description: 'Weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
  {
    name: 'book_table',
    description: 'Books a table',
    parameters: { type: 'object', properties: { people: { type: 'integer' }, time: { type: 'string' } } },
  },
];

/** A server answering every request with these exact bytes, for streams the double does not send. */
async function rawServer(contentType: string, body: string): Promise<string> {
  const raw = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': contentType });
    res.end(body);
  });
  rawServers.push(raw);
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(raw.address() as AddressInfo).port}/v1`;
}

describe('OpenAiStreamingChatClient against an OpenAI chat-completions server', () => {
  it('passes content on piece by piece while the model is still writing, in order', async () => {
    const content = 'Hello there, how can I help you today with your booking?';
    const tokenDelayMs = 40;
    const s = await server({ reply: () => ({ content, tokenDelayMs }) });
    const events = await collect(client(s.url).stream(ask()));

    expect(text(events)).toBe(content);
    const pieces = events.filter((e) => e.event.type === 'content');
    expect(pieces.length).toBe(contentPieces(content).length);
    // The server waits tokenDelayMs before each piece: a client that buffered the reply would see
    // the first piece and the end together; a streaming one sees them at least (n-1) delays apart.
    const spread = (events.at(-1) as Timed).at - (pieces[0] as Timed).at;
    expect(spread).toBeGreaterThanOrEqual((pieces.length - 1) * tokenDelayMs * 0.8);
    expect(done(events)).toMatchObject({ finishReason: 'stop', usage: { completion_tokens: pieces.length } });

    const sent = s.requests[0];
    expect(sent?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent?.headers.accept).toBe('text/event-stream');
    expect(sent?.body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0.3,
      max_tokens: 1024,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Hi' }],
    });
  });

  it("uses the request's own model and temperature over the settings", async () => {
    const s = await server({});
    await collect(client(s.url).stream({ ...ask(), model: 'gpt-4.1', temperature: 0.9 }));
    expect(s.requests[0]?.body).toMatchObject({ model: 'gpt-4.1', temperature: 0.9 });
  });

  it('assembles two tool calls whose arguments arrive in pieces, in index order', async () => {
    const s = await server({
      reply: () => ({
        toolCalls: [
          { name: 'get_weather', arguments: { city: 'Zürich', unit: 'celsius' } },
          { name: 'book_table', arguments: { people: 4, time: '19:30', note: 'window seat, please' } },
        ],
      }),
    });
    const events = await collect(
      client(s.url).stream({ ...ask('Weather and a table'), tools: weatherTools }),
    );

    expect(kinds(events)).toEqual(['tool-call', 'tool-call', 'done']);
    const [weather, table] = toolCalls(events);
    expect(weather?.name).toBe('get_weather');
    expect(JSON.parse(weather?.arguments ?? '')).toEqual({ city: 'Zürich', unit: 'celsius' });
    expect(table?.name).toBe('book_table');
    expect(JSON.parse(table?.arguments ?? '')).toEqual({
      people: 4,
      time: '19:30',
      note: 'window seat, please',
    });
    expect(weather?.id).toMatch(/^call_/);
    expect(weather?.id).not.toBe(table?.id);
    expect(done(events).finishReason).toBe('tool_calls');
    expect(s.requests[0]?.body.tools).toEqual(weatherTools.map((t) => ({ type: 'function', function: t })));
  });

  it('passes content on before a tool call that follows it', async () => {
    const s = await server({
      reply: () => ({
        content: 'Let me check that.',
        toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }],
      }),
    });
    const events = await collect(client(s.url).stream({ ...ask(), tools: weatherTools }));
    const firstCall = kinds(events).indexOf('tool-call');
    expect(text(events.slice(0, firstCall))).toBe('Let me check that.');
    expect(kinds(events).slice(firstCall)).toEqual(['tool-call', 'done']);
    expect(JSON.parse(toolCalls(events)[0]?.arguments ?? '')).toEqual({ city: 'Oslo' });
  });

  it('reads a tool call sent whole in one delta without index, arguments as an object (Ollama style)', async () => {
    const s = await server({
      reply: () => ({
        dialect: 'ollama-whole-tool-call',
        toolCalls: [
          { name: 'get_weather', arguments: { city: 'Lyon' }, id: 'call_ollama1' },
          { name: 'book_table', arguments: '{"people":2}', id: 'call_ollama2' },
        ],
      }),
    });
    const events = await collect(client(s.url).stream({ ...ask(), tools: weatherTools }));
    expect(toolCalls(events)).toEqual([
      { id: 'call_ollama1', name: 'get_weather', arguments: '{"city":"Lyon"}' },
      { id: 'call_ollama2', name: 'book_table', arguments: '{"people":2}' },
    ]);
  });

  it.each([
    ['one byte at a time', { splitWritesAt: 1 }],
    [
      'with CRLF line ends and : ping comments, 3 bytes at a time',
      { splitWritesAt: 3, lineEnding: '\r\n', pings: true },
    ],
  ] as const)('parses a reply written %s, including multi-byte UTF-8', async (_name, options) => {
    const s = await server({
      ...options,
      reply: () => ({
        content: 'Un café ☕, s’il vous plaît 😀',
        toolCalls: [{ name: 'get_weather', arguments: { city: 'Bâle' } }],
      }),
    });
    const events = await collect(client(s.url).stream({ ...ask(), tools: weatherTools }));
    expect(text(events)).toBe('Un café ☕, s’il vous plaît 😀');
    expect(JSON.parse(toolCalls(events)[0]?.arguments ?? '')).toEqual({ city: 'Bâle' });
    expect(done(events).finishReason).toBe('tool_calls');
  });

  it("surfaces the provider's message for a wrong key (401), not retried", async () => {
    const s = await server({});
    const err = await failure(client(s.url, { api_key: 'sk-wrong-key-000000' }).stream(ask()));
    expect(err).toBeInstanceOf(LlmError);
    expect(err).toMatchObject({ code: 'LLM_HTTP', status: 401, retryable: false });
    expect((err as Error).message).toMatch(
      /^LLM server answered 401: Incorrect API key provided: sk-\*+0000/,
    );
    expect(s.requests).toHaveLength(1);
  });

  it('waits out a 429 with Retry-After 1 and retries once', async () => {
    const s = await server({
      reply: (_body, index) =>
        index === 0
          ? { error: { status: 429, message: 'Rate limit reached for gpt-4o-mini', retryAfterS: 1 } }
          : { content: 'Second time lucky.' },
    });
    const started = performance.now();
    const events = await collect(client(s.url).stream(ask()));
    expect(text(events)).toBe('Second time lucky.');
    expect(s.requests).toHaveLength(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('fails at once on a 429 asking for a longer wait than maxRetryWaitMs, with retryAfterMs', async () => {
    const s = await server({
      reply: () => ({
        error: { status: 429, message: 'Rate limit reached for gpt-4o-mini', retryAfterS: 30 },
      }),
    });
    const err = await failure(client(s.url).stream(ask()));
    expect(err).toMatchObject({ code: 'LLM_HTTP', status: 429, retryable: true, retryAfterMs: 30000 });
    expect((err as Error).message).toBe('LLM server answered 429: Rate limit reached for gpt-4o-mini');
    expect(s.requests).toHaveLength(1);
  });

  it('retries a 500 once, and not at all with retries: 0', async () => {
    const reply: ChatServerOptions['reply'] = (_b, index) =>
      index % 2 === 0 ? { error: { status: 500, message: 'The server had an error' } } : { content: 'OK' };
    const s = await server({ reply });
    expect(text(await collect(client(s.url).stream(ask())))).toBe('OK');
    const t = await server({ reply });
    expect(await failure(client(t.url, {}, { retries: 0 }).stream(ask()))).toMatchObject({ status: 500 });
    expect(t.requests).toHaveLength(1);
  });

  it('fails with LLM_HTTP on an error frame in the middle of the stream, never retrying after content', async () => {
    const s = await server({
      reply: () => ({
        content: 'I will now say a rather long sentence.',
        midStreamError: 'The model is overloaded',
      }),
    });
    const seen: ChatStreamEvent[] = [];
    const err = await failure(client(s.url).stream(ask()), seen);
    expect(err).toMatchObject({ code: 'LLM_HTTP' });
    expect((err as Error).message).toContain('The model is overloaded');
    expect(seen.length).toBeGreaterThan(0);
    expect(s.requests).toHaveLength(1);
  });

  it('fails with LLM_BAD_RESPONSE when the stream ends without [DONE] or finish_reason', async () => {
    const s = await server({ reply: () => ({ content: 'Cut short', cutStream: true }) });
    const err = await failure(client(s.url).stream(ask()));
    expect(err).toMatchObject({ code: 'LLM_BAD_RESPONSE' });
    expect((err as Error).message).toMatch(/ended without \[DONE\] or a finish_reason/);
  });

  it('fails with LLM_BAD_RESPONSE naming a data frame that is not JSON', async () => {
    const url = await rawServer(
      'text/event-stream',
      'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\ndata: {not json\n\n',
    );
    const err = await failure(client(url).stream(ask()));
    expect(err).toMatchObject({ code: 'LLM_BAD_RESPONSE' });
    expect((err as Error).message).toMatch(/frame 2 .* is not a JSON object: \{not json/);
  });

  it('reads a llama.cpp/vLLM-style stream: split calls without index, finish_reason and usage together, no [DONE]', async () => {
    const frames = [
      '{"choices":[{"index":0,"delta":{"role":"assistant","content":null}}]}',
      '{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\\"ci"}}]}}]}',
      '{"choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":"ty\\":\\"Rome\\"}"}}]}}]}',
      '{"choices":[{"index":0,"delta":{"tool_calls":[{"id":"call_b","type":"function","function":{"name":"book_table","arguments":{"people":3}}}]}}]}',
      '{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}',
      '{"choices":null,"usage":null}',
    ];
    const url = await rawServer(
      'text/event-stream',
      frames.map((f) => `: ping\r\ndata: ${f}\r\n\r\n`).join(''),
    );
    const events = await collect(client(url).stream({ ...ask(), tools: weatherTools }));
    expect(events.map((e) => e.event)).toEqual([
      { type: 'tool-call', call: { id: 'call_a', name: 'get_weather', arguments: '{"city":"Rome"}' } },
      { type: 'tool-call', call: { id: 'call_b', name: 'book_table', arguments: '{"people":3}' } },
      { type: 'done', finishReason: 'tool_calls', usage: { prompt_tokens: 12, completion_tokens: 9 } },
    ]);
  });

  it('fails with LLM_HTTP carrying the status of an error frame with a numeric code', async () => {
    const url = await rawServer(
      'text/event-stream',
      'event: error\ndata: {"error":{"message":"Context length exceeded","code":400}}\n\n',
    );
    const err = await failure(client(url).stream(ask()));
    expect(err).toMatchObject({ code: 'LLM_HTTP', status: 400, retryable: false });
    expect((err as Error).message).toBe('LLM server sent an error in the stream: Context length exceeded');
  });

  it('reads one chat.completion from a server that ignores stream: true', async () => {
    const url = await rawServer(
      'application/json',
      JSON.stringify({
        object: 'chat.completion',
        model: 'llama3.1',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'Whole reply.' }, finish_reason: 'stop' },
        ],
      }),
    );
    const events = await collect(client(url).stream(ask()));
    expect(events.map((e) => e.event)).toEqual([
      { type: 'content', text: 'Whole reply.' },
      { type: 'done', finishReason: 'stop' },
    ]);
  });

  it('fails with LLM_TIMEOUT when the gap between chunks exceeds timeout_ms', async () => {
    const s = await server({ reply: () => ({ content: 'one two three', tokenDelayMs: 600 }) });
    const err = await failure(client(s.url, { timeout_ms: 150 }).stream(ask()));
    expect(err).toMatchObject({ code: 'LLM_TIMEOUT', retryable: true });
    expect((err as Error).message).toMatch(/stalled: no data for 150 ms after 1 frames/);
  });

  it('fails with LLM_TIMEOUT when the first chunk does not come within timeout_ms', async () => {
    const s = await server({ reply: () => ({ content: 'late', firstTokenDelayMs: 600 }) });
    const err = await failure(client(s.url, { timeout_ms: 150 }).stream(ask()));
    expect(err).toMatchObject({ code: 'LLM_TIMEOUT' });
    expect((err as Error).message).toMatch(/sent no stream data within 150 ms/);
  });

  it("cancels the request at once on the caller's abort and rethrows the abort reason", async () => {
    const tokenDelayMs = 1000;
    const s = await server({ reply: () => ({ content: 'a b c d e f g h i j k l', tokenDelayMs }) });
    const controller = new AbortController();
    const reason = new Error('caller barged in');
    const seen: ChatStreamEvent[] = [];
    let abortedAt = 0;
    let err: unknown;
    try {
      for await (const event of client(s.url).stream({ ...ask(), signal: controller.signal })) {
        seen.push(event);
        // Abort while the client waits on the server for the next piece (tokenDelayMs away).
        setTimeout(() => {
          abortedAt = performance.now();
          controller.abort(reason);
        }, 10);
      }
    } catch (e) {
      err = e;
    }
    expect(err).toBe(reason);
    expect(seen).toHaveLength(1);
    // Not waiting for the next piece: the read ends with the abort, well before tokenDelayMs.
    expect(performance.now() - abortedAt).toBeLessThan(tokenDelayMs / 2);
    const record = s.requests[0];
    await record?.closed;
    expect(record?.clientClosedEarly).toBe(true);
  });

  it("rethrows the caller's abort during the wait before a retry, without retrying", async () => {
    const s = await server({
      reply: () => ({
        error: { status: 429, message: 'Rate limit reached for gpt-4o-mini', retryAfterS: 1 },
      }),
    });
    const controller = new AbortController();
    const reason = new Error('call ended');
    setTimeout(() => controller.abort(reason), 100);
    const started = performance.now();
    expect(await failure(client(s.url).stream({ ...ask(), signal: controller.signal }))).toBe(reason);
    // Well before the 1 s the provider asked for.
    expect(performance.now() - started).toBeLessThan(500);
    expect(s.requests).toHaveLength(1);
  });

  it('fails with LLM_TIMEOUT when the response headers do not come within timeout_ms', async () => {
    const s = await server({
      reply: () => new Promise((resolve) => setTimeout(() => resolve({ content: 'late' }), 600)),
    });
    const err = await failure(client(s.url, { timeout_ms: 150 }).stream(ask()));
    expect(err).toMatchObject({ code: 'LLM_TIMEOUT' });
    expect((err as Error).message).toBe(`LLM server ${new URL(s.url).host} sent no response within 150 ms`);
  });

  it('closes the connection when the caller stops reading early', async () => {
    const s = await server({ reply: () => ({ content: 'a b c d e f g h', tokenDelayMs: 100 }) });
    for await (const event of client(s.url).stream(ask())) {
      if (event.type === 'content') break;
    }
    await s.requests[0]?.closed;
    expect(s.requests[0]?.clientClosedEarly).toBe(true);
  });

  it('fails with LLM_UNREACHABLE naming the host when nothing listens', async () => {
    const s = await startChatServer();
    const url = s.url;
    await s.close();
    const err = await failure(client(url).stream(ask()));
    expect(err).toMatchObject({ code: 'LLM_UNREACHABLE' });
    expect((err as Error).message).toContain(new URL(url).host);
  });

  it('sends Azure OpenAI requests with the api-key header and ?api-version=', async () => {
    const s = await server({});
    const azure = client(s.azureUrl('gpt4o-prod'), { azure_api_version: '2024-10-21' });
    expect(text(await collect(azure.stream(ask())))).toBe('Hello.');
    const sent = s.requests[0];
    expect(sent).toMatchObject({
      path: '/openai/deployments/gpt4o-prod/chat/completions',
      query: { 'api-version': '2024-10-21' },
      deployment: 'gpt4o-prod',
      status: 200,
    });
    expect(sent?.headers['api-key']).toBe(KEY);
    expect(sent?.headers.authorization).toBeUndefined();
  });
});

describe('the chat server refuses histories OpenAI refuses', () => {
  const call = {
    id: 'call_abc123',
    type: 'function' as const,
    function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
  };

  it('accepts a tool call followed by its answer, then streams the next reply', async () => {
    const s = await server({ reply: () => ({ content: 'It is sunny in Oslo.' }) });
    const messages: ChatMessage[] = [
      { role: 'system', content: 'You are a receptionist.' },
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', tool_call_id: 'call_abc123', content: '{"sky":"sunny"}' },
    ];
    const events = await collect(client(s.url).stream({ messages, tools: weatherTools }));
    expect(text(events)).toBe('It is sunny in Oslo.');
    expect(s.requests[0]?.body.messages).toEqual(messages);
  });

  it('accepts the history built from a streamed tool call with assistantMessage', async () => {
    const s = await server({
      reply: (_body, index) =>
        index === 0
          ? { content: 'One moment.', toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }
          : { content: 'Sunny.' },
    });
    const c = client(s.url);
    const messages: ChatMessage[] = [{ role: 'user', content: 'Weather in Oslo?' }];
    const first = await collect(c.stream({ messages, tools: weatherTools }));
    const calls = toolCalls(first);
    messages.push(assistantMessage(text(first), calls));
    for (const call of calls)
      messages.push({ role: 'tool', tool_call_id: call.id, content: '{"sky":"sunny"}' });
    expect(text(await collect(c.stream({ messages, tools: weatherTools })))).toBe('Sunny.');
    expect(s.requests[1]?.body.messages).toEqual([
      { role: 'user', content: 'Weather in Oslo?' },
      {
        role: 'assistant',
        content: 'One moment.',
        tool_calls: [
          {
            id: calls[0]?.id,
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: calls[0]?.id, content: '{"sky":"sunny"}' },
    ]);
  });

  it('answers 400 for an assistant tool call left without its tool message', async () => {
    const s = await server({});
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'user', content: 'Hello?' },
    ];
    const err = await failure(client(s.url).stream({ messages }));
    expect(err).toMatchObject({ code: 'LLM_HTTP', status: 400, retryable: false });
    expect((err as Error).message).toContain(
      "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: call_abc123",
    );
  });

  it('answers 400 for a tool message that answers no preceding tool call', async () => {
    const s = await server({});
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'tool', tool_call_id: 'call_nowhere', content: '{}' },
    ];
    const err = await failure(client(s.url).stream({ messages }));
    expect((err as Error).message).toBe(
      "LLM server answered 400: Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
    );
  });

  it('answers 400 for a missing model or messages', async () => {
    const s = await server({});
    const post = (body: unknown) =>
      fetch(`${s.url}/chat/completions`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as unknown }));
    expect(await post({ messages: [{ role: 'user', content: 'x' }] })).toEqual({
      status: 400,
      body: {
        error: {
          message: 'you must provide a model parameter',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      },
    });
    expect(await post({ model: 'gpt-4o-mini' })).toMatchObject({
      status: 400,
      body: { error: { param: 'messages', code: 'missing_required_parameter' } },
    });
  });

  it('lets the non-streaming client call Azure OpenAI with the api-key header and ?api-version=', async () => {
    const s = await server({ reply: () => ({ content: '{"ok":true}' }) });
    const reply = await new OpenAiChatClient({
      base_url: s.azureUrl('gpt4o-prod'),
      api_key: KEY,
      model: 'gpt-4o-mini',
      timeout_ms: 5000,
      azure_api_version: '2024-10-21',
    }).complete({ ...ask(), json: true });
    expect(reply.content).toBe('{"ok":true}');
    expect(s.requests[0]).toMatchObject({ deployment: 'gpt4o-prod', query: { 'api-version': '2024-10-21' } });
    expect(s.requests[0]?.headers['api-key']).toBe(KEY);
  });

  it('answers a request without stream as one chat.completion, which the non-streaming client reads', async () => {
    const s = await server({
      reply: () => ({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' }, id: 'call_whole' }] }),
    });
    const reply = await new OpenAiChatClient({
      base_url: s.url,
      api_key: KEY,
      model: 'gpt-4o-mini',
      timeout_ms: 5000,
    }).complete({ ...ask(), tools: weatherTools });
    expect(reply).toEqual({
      content: '',
      toolCalls: [{ id: 'call_whole', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
      finishReason: 'tool_calls',
      model: 'gpt-4o-mini',
    });
    expect(s.requests[0]?.body.stream).toBeUndefined();
  });
});
