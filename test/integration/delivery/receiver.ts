import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  key: string;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

/**
 * A local HTTP receiver that applies each idempotency key's effect once (as a well-behaved
 * receiver does) and counts every request, so tests can tell deliveries from effects.
 */
export async function startReceiver(respond: (req: Received, seen: number) => number = () => 200) {
  const requests: Received[] = [];
  const effects = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key'] ?? '');
      const entry = {
        key,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'),
        headers: req.headers,
      };
      requests.push(entry);
      const seen = requests.filter((r) => r.key === key).length;
      const status = respond(entry, seen);
      // Idempotent receiver: the effect of a key is applied once; duplicates are acknowledged only.
      if (status >= 200 && status < 300 && !effects.has(key)) effects.set(key, requests.length);
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    effects,
    close: () =>
      new Promise<void>((resolve) => server.close(() => resolve())).then(() => server.closeAllConnections()),
  };
}
