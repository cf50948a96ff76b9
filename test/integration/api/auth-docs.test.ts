import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness, type Json } from './harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
});
afterAll(async () => h.close());

describe('API keys', () => {
  it('answers 401 without a key, with a wrong key and with a revoked key', async () => {
    const none = await h.app.inject({ url: '/agents' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ code: 'UNAUTHORIZED' });

    const wrong = await h.app.inject({
      url: '/agents',
      headers: { authorization: 'Bearer cwk_not-a-real-key' },
    });
    expect(wrong.statusCode).toBe(401);

    const { record, token } = await h.store.apiKeys.create('to-revoke');
    const ok = await h.app.inject({ url: '/contacts', headers: { 'x-api-key': token } });
    expect(ok.statusCode).toBe(200);
    await h.store.apiKeys.revoke(record.id);
    const revoked = await h.app.inject({ url: '/contacts', headers: { authorization: `Bearer ${token}` } });
    expect(revoked.statusCode).toBe(401);
    // Writes are guarded too.
    const write = await h.app.inject({ method: 'POST', url: '/tags', payload: { name: 'x' } });
    expect(write.statusCode).toBe(401);
  });

  it('stores no token in clear: no column of any key row holds part of it', async () => {
    const { token } = await h.store.apiKeys.create('check');
    const secret = token.slice('cwk_'.length);
    const rows = h.store.db.prepare('SELECT * FROM api_keys').all() as Array<Record<string, unknown>>;
    const dump = JSON.stringify(rows);
    // The printed prefix (first 12 chars) is kept for `keys list`; nothing past it is.
    for (let i = 12; i + 8 <= token.length; i++) expect(dump).not.toContain(token.slice(i, i + 8));
    expect(dump).not.toContain(secret);
  });
});

describe('OpenAPI', () => {
  it('lists every resource route with a tag and a summary at /docs/json, without a key', async () => {
    const res = await h.app.inject({ url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as Json;
    const expected: Record<string, string[]> = {
      '/agents': ['get', 'post'],
      '/agents/{id}': ['get', 'patch', 'delete'],
      '/contacts': ['get', 'post'],
      '/contacts/{id}': ['get', 'patch', 'delete'],
      '/contacts/{id}/tags/{name}': ['put', 'delete'],
      '/contacts/{id}/lists/{listId}': ['put', 'delete'],
      '/contacts/{id}/dnc': ['put', 'delete'],
      '/lists': ['get', 'post'],
      '/tags': ['get', 'post'],
      '/dispositions': ['get', 'post'],
      '/users': ['get', 'post'],
      '/ring-groups': ['get', 'post'],
      '/ring-groups/{id}': ['get', 'patch', 'delete'],
      '/lines': ['get', 'post'],
      '/numbers': ['get', 'post'],
      '/calls': ['get'],
      '/calls/{id}': ['get'],
      '/calls/{id}/events': ['get'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      for (const m of methods) {
        const op = doc.paths[path]?.[m];
        expect(op, `${m} ${path}`).toBeDefined();
        expect(op.tags.length, `${m} ${path} tags`).toBeGreaterThan(0);
        expect(op.summary, `${m} ${path} summary`).toBeTruthy();
      }
    }
    const post = doc.paths['/contacts'].post;
    expect(post.requestBody.content['application/json'].schema.required).toContain('phone');
    expect(doc.paths['/calls'].get.parameters.map((p: Json) => p.name)).toEqual(
      expect.arrayContaining(['limit', 'offset', 'direction']),
    );
  });
});

describe('real HTTP', () => {
  it('serves the API over a loopback socket', async () => {
    const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
    const created = await fetch(`${address}/lists`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'over-http' }),
    });
    expect(created.status).toBe(201);
    const bad = await fetch(`${address}/lists`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 42 }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).issues[0]).toMatchObject({ field: 'body.name', value: 42 });
    const health = await fetch(`${address}/health`);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`${address}/lists`)).status).toBe(401);
  });
});
