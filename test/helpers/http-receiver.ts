import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait before answering (timeouts). */
  delayMs?: number;
}

export type Responder = (req: RecordedRequest, index: number) => Reply | Promise<Reply>;

export interface HttpReceiver {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Replaces the responder for the next requests. */
  respond(responder: Responder): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on loopback that records every request (method, path, headers, raw body) and
 * answers with what the test scripts: JSON bodies for objects, text for strings.
 */
export async function startHttpReceiver(
  responder: Responder = () => ({ status: 200, body: {} }),
): Promise<HttpReceiver> {
  const requests: RecordedRequest[] = [];
  let current = responder;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      void Promise.resolve(current(recorded, requests.length - 1)).then(async (reply) => {
        if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
        if (res.destroyed) return;
        const text =
          typeof reply.body === 'string' || Buffer.isBuffer(reply.body)
            ? reply.body
            : JSON.stringify(reply.body ?? {});
        const type = typeof reply.body === 'string' ? 'text/plain' : 'application/json';
        res.writeHead(reply.status ?? 200, { 'content-type': type, ...(reply.headers ?? {}) }).end(text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    respond: (r) => {
      current = r;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A webhook agent's endpoint on loopback: records each event it is posted (`{event}` bodies) and
 * answers with `reply(event)`, the agent's JSON reply.
 */
export async function startAgentWebhook(
  reply: (event: Record<string, unknown>) => unknown,
): Promise<{ url: string; received: Array<Record<string, unknown>>; close(): Promise<void> }> {
  const received: Array<Record<string, unknown>> = [];
  const rx = await startHttpReceiver((req) => {
    const { event } = JSON.parse(req.body) as { event: Record<string, unknown> };
    received.push(event);
    return { status: 200, body: reply(event) };
  });
  return { url: `${rx.url}/agent`, received, close: () => rx.close() };
}
