import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DavRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A small CalDAV server double on loopback: one calendar collection, basic auth, calendar-query REPORT
 * answered with a 207 multistatus (prefixes `d:`/`cal:` on purpose), PUT honouring If-None-Match, DELETE.
 */
export async function calDavDouble(options: { user: string; password: string; path: string }) {
  const events = new Map<string, string>();
  const requests: DavRequest[] = [];
  let failPut = 0;
  const expected = 'Basic ' + Buffer.from(`${options.user}:${options.password}`).toString('base64');
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="dav"' }).end('<error>unauthorized</error>');
        return;
      }
      const url = req.url ?? '';
      if (req.method === 'REPORT' && url === options.path) return report(body, res);
      if (!url.startsWith(options.path) || !url.endsWith('.ics')) return void res.writeHead(404).end();
      if (req.method === 'PUT') {
        if (failPut > 0) {
          failPut--;
          return void res.writeHead(507).end('<error>insufficient storage</error>');
        }
        if (req.headers['if-none-match'] === '*' && events.has(url)) return void res.writeHead(412).end();
        const created = !events.has(url);
        events.set(url, body);
        return void res.writeHead(created ? 201 : 204, { ETag: `"${body.length}"` }).end();
      }
      if (req.method === 'DELETE') {
        if (!events.delete(url)) return void res.writeHead(404).end();
        return void res.writeHead(204).end();
      }
      res.writeHead(405).end();
    });
  });

  function report(body: string, res: ServerResponse): void {
    if (
      !/<C:time-range start="\d{8}T\d{6}Z" end="\d{8}T\d{6}Z"\/>/.test(body) ||
      !body.includes('calendar-query')
    ) {
      res.writeHead(400).end('<error>bad calendar-query</error>');
      return;
    }
    const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const responses = [...events].map(
      ([href, ics]) =>
        `<d:response><d:href>${href}</d:href><d:propstat><d:prop><d:getetag>"1"</d:getetag>` +
        `<cal:calendar-data>${escape(ics)}</cal:calendar-data></d:prop>` +
        `<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`,
    );
    res
      .writeHead(207, { 'Content-Type': 'application/xml; charset=utf-8' })
      .end(
        `<?xml version="1.0" encoding="utf-8"?>\n<d:multistatus xmlns:d="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav">${responses.join('')}</d:multistatus>`,
      );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${options.path}`,
    events,
    requests,
    failNextPut: (n = 1) => (failPut = n),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
