import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export type Reply = { tool: string; args: unknown } | { content: string } | { status: number; error: string };

/**
 * An OpenAI-compatible chat-completions server on loopback: answers each POST /v1/chat/completions
 * with the next queued reply in the API's wire shape (choices[0].message with tool_calls or content).
 */
export async function openAiDouble() {
  const seen: SeenRequest[] = [];
  const queue: Reply[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw || '{}') as Record<string, unknown>;
      seen.push({ path: req.url ?? '', headers: req.headers, body });
      const reply = queue.shift();
      if (!reply || req.url !== '/v1/chat/completions' || req.method !== 'POST') {
        res
          .writeHead(404, { 'Content-Type': 'application/json' })
          .end('{"error":{"message":"no reply queued"}}');
        return;
      }
      if ('status' in reply) {
        res
          .writeHead(reply.status, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ error: { message: reply.error, type: 'invalid_request_error' } }));
        return;
      }
      const message =
        'tool' in reply
          ? {
              role: 'assistant',
              content: null,
              tool_calls: [
                {
                  id: 'call_1',
                  type: 'function',
                  function: { name: reply.tool, arguments: JSON.stringify(reply.args) },
                },
              ],
            }
          : { role: 'assistant', content: reply.content };
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          model: body.model,
          choices: [{ index: 0, message, finish_reason: 'tool' in reply ? 'tool_calls' : 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    seen,
    reply: (...r: Reply[]) => queue.push(...r),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
