import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `npm run build:ui` writes the dashboard (vite, src/ui/vite.config.ts). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../dist/ui/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/**
 * The page may talk to its own origin only, plus WebSocket servers (the browser phone's SIP over
 * WebSocket listener is on a port of its own); no inline script, no framing.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "connect-src 'self' ws: wss:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Serves the dashboard (docs/dashboard.md) at `/ui/`, `/` redirecting there. The page and its assets
 * hold no data: everything it shows comes from the API with the session cookie. Unknown paths without
 * a file extension get the page (the dashboard routes in the browser); hashed assets are cached for
 * good, the page never.
 */
export async function dashboardRoutes(app: FastifyInstance, dir = DASHBOARD_DIR): Promise<void> {
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/ui/'));
  app.get('/ui', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/ui/'));
  app.get('/ui/*', { schema: { hide: true } }, async (req, reply) => {
    const rest = (req.params as { '*': string })['*'] ?? '';
    const file = resolveInside(dir, decodeURIComponent(rest));
    if (file && extname(file) && (await isFile(file)))
      return sendFile(reply, file, rest.startsWith('assets/'));
    if (extname(rest)) {
      return reply.code(404).send({ code: 'NOT_FOUND', message: `no dashboard file ${rest}` });
    }
    const index = join(dir, 'index.html');
    if (!(await isFile(index))) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The dashboard is not built: run `npm run build:ui` (npm run setup does it), then reload.\n');
    }
    return sendFile(reply, index, false);
  });
}

function resolveInside(dir: string, rest: string): string | undefined {
  const file = normalize(join(dir, rest));
  return file.startsWith(dir.endsWith(sep) ? dir : dir + sep) ? file : undefined;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function sendFile(reply: FastifyReply, file: string, immutable: boolean): Promise<FastifyReply> {
  const body = await readFile(file);
  return reply
    .header('content-type', TYPES[extname(file)] ?? 'application/octet-stream')
    .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .send(body);
}
