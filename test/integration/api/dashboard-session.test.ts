/**
 * Dashboard sign-in: an API key for an HTTP-only session cookie; the cookie reads, a change needs the
 * CSRF token as well; sign-out and a revoked key end the session; the page holds no data.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import { apiHarness, type ApiHarness } from './harness.js';
import { dashboardRoutes } from '../../../src/api/routes/dashboard.js';
import { readCookie } from '../../../src/api/session-cookie.js';
import { tempDir } from '../../helpers/temp.js';

let h: ApiHarness;
beforeEach(async () => {
  h = await apiHarness();
});
afterEach(async () => {
  await h.close();
});

async function signIn(key: string) {
  const res = await h.app.inject({ method: 'POST', url: '/session', payload: { key } });
  const setCookie = String(res.headers['set-cookie'] ?? '');
  return {
    res,
    setCookie,
    cookie: setCookie.split(';')[0] ?? '',
    body: res.json() as Record<string, string>,
  };
}

describe('POST /session', () => {
  it('exchanges a valid key for an HTTP-only, SameSite=Strict cookie and a CSRF token', async () => {
    const { res, setCookie, body } = await signIn(h.token);
    expect(res.statusCode).toBe(200);
    expect(setCookie).toMatch(/^callwright_session=[\w-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain('Max-Age=43200');
    expect(body.csrf_token).toMatch(/^[\w-]{32}$/);
    expect(JSON.stringify(body)).not.toContain(h.token);
    // Only a digest of the cookie's token is stored.
    const token = readCookie(setCookie.split(';')[0], 'callwright_session')!;
    const rows = h.store.db.prepare('SELECT token_hash FROM ui_sessions').all() as { token_hash: string }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).not.toBe(token);
  });

  it('refuses a wrong key with 401 and no cookie', async () => {
    const { res, setCookie } = await signIn('cwk_not-a-real-key');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'UNAUTHORIZED', message: 'invalid or revoked API key' });
    expect(setCookie).toBe('');
  });

  it('names the field when the body is wrong', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/session', payload: { token: h.token } });
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json())).toContain('key');
  });
});

describe('the session cookie', () => {
  it('reads the API without a key; a change needs X-CSRF-Token', async () => {
    const { cookie, body } = await signIn(h.token);
    const list = await h.app.inject({ method: 'GET', url: '/agents', headers: { cookie } });
    expect(list.statusCode).toBe(200);

    const payload = { name: 'csrf-check', kind: 'scripted', config: { steps: [{ say: 'Hello.' }] } };
    const noToken = await h.app.inject({ method: 'POST', url: '/agents', headers: { cookie }, payload });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().message).toContain('x-csrf-token');
    const wrong = await h.app.inject({
      method: 'POST',
      url: '/agents',
      headers: { cookie, 'x-csrf-token': 'x'.repeat(32) },
      payload,
    });
    expect(wrong.statusCode).toBe(403);
    const ok = await h.app.inject({
      method: 'POST',
      url: '/agents',
      headers: { cookie, 'x-csrf-token': body.csrf_token },
      payload,
    });
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it('GET /session gives the CSRF token back to a reloaded page', async () => {
    const { cookie, body } = await signIn(h.token);
    const res = await h.app.inject({ method: 'GET', url: '/session', headers: { cookie } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(body);
  });

  it('is refused after sign-out and after its key is revoked', async () => {
    const first = await signIn(h.token);
    const out = await h.app.inject({
      method: 'DELETE',
      url: '/session',
      headers: { cookie: first.cookie, 'x-csrf-token': first.body.csrf_token },
    });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    const after = await h.app.inject({ method: 'GET', url: '/agents', headers: { cookie: first.cookie } });
    expect(after.statusCode).toBe(401);
    expect(after.json().message).toContain('sign in again');

    const second = await signIn(h.token);
    const keyId = (await h.store.apiKeys.list())[0]!.id;
    await h.store.apiKeys.revoke(keyId);
    const revoked = await h.app.inject({ method: 'GET', url: '/agents', headers: { cookie: second.cookie } });
    expect(revoked.statusCode).toBe(401);
  });

  it('a wrong API key is refused even with a valid cookie', async () => {
    const { cookie } = await signIn(h.token);
    const res = await h.app.inject({
      method: 'GET',
      url: '/agents',
      headers: { cookie, authorization: 'Bearer cwk_wrong' },
    });
    expect(res.statusCode).toBe(401);
  });

  it('an expired session is refused', async () => {
    const keyId = (await h.store.apiKeys.list())[0]!.id;
    const { token } = await h.store.uiSessions.create(keyId, 1000, Date.now() - 5000);
    const res = await h.app.inject({
      method: 'GET',
      url: '/agents',
      headers: { cookie: `callwright_session=${token}` },
    });
    expect(res.statusCode).toBe(401);
  });
});

describe('the dashboard page', () => {
  it('is served without a key, holds no data, and falls back to the page for its routes', async () => {
    const dist = tempDir('callwright-ui-');
    try {
      mkdirSync(path.join(dist.dir, 'assets'));
      writeFileSync(path.join(dist.dir, 'index.html'), '<!doctype html><div id="app"></div>');
      writeFileSync(path.join(dist.dir, 'assets', 'app-1.js'), 'console.log(1)');
      const app = Fastify();
      await app.register(async (s) => dashboardRoutes(s, dist.dir + path.sep));
      expect((await app.inject({ url: '/' })).headers.location).toBe('/ui/');
      const page = await app.inject({ url: '/ui/calls/cal_1' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      const asset = await app.inject({ url: '/ui/assets/app-1.js' });
      expect(asset.headers['cache-control']).toContain('immutable');
      expect((await app.inject({ url: '/ui/assets/none.js' })).statusCode).toBe(404);
      // A path out of the folder is never read: it is a dashboard route like any other (the page).
      const escape = await app.inject({ url: '/ui/..%2f..%2f..%2f..%2fetc%2fpasswd' });
      expect(escape.body).toBe('<!doctype html><div id="app"></div>');
      const escapeFile = await app.inject({ url: '/ui/..%2f..%2f..%2f..%2fetc%2fhost.conf' });
      expect(escapeFile.statusCode).toBe(404);
      await app.close();
    } finally {
      dist.cleanup();
    }
  });

  it('says how to build it when it is not built', async () => {
    const empty = tempDir('callwright-ui-none-');
    try {
      const app = Fastify();
      await app.register(async (s) => dashboardRoutes(s, empty.dir + path.sep));
      const res = await app.inject({ url: '/ui/' });
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain('npm run build:ui');
      await app.close();
    } finally {
      empty.cleanup();
    }
  });
});
