/**
 * POST /agents/{id}/phone: a phone token for the browser phone, authenticated like every API call (a
 * key, or the session cookie with its CSRF token); the token holds for that agent only.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../../src/api/app.js';
import { PhoneTokens } from '../../../src/calls/phone-token.js';
import type { Store } from '../../../src/store/store.js';
import type { Config } from '../../../src/config/schema.js';
import { tempStore, testConfig } from '../../helpers/temp.js';
import { testActionEngine } from '../../helpers/action-engine.js';

let app: FastifyInstance;
let store: Store;
let token: string;
let tokens: PhoneTokens;
let cleanup: () => void;
let agentId: string;

async function build(websocket: Partial<Config['sip']['websocket']>, listener = true): Promise<void> {
  const t = tempStore();
  store = t.store;
  cleanup = t.cleanup;
  const config = testConfig(t.dir, { sip: { websocket } });
  tokens = new PhoneTokens('', 120);
  app = await buildApi({
    store,
    config,
    actionEngine: testActionEngine(store, config),
    phone: {
      tokens,
      settings: config.sip.websocket,
      listener: () => (listener ? { scheme: 'ws', port: 56300 } : undefined),
    },
  });
  token = (await store.apiKeys.create('test')).token;
  agentId = (
    await app.inject({
      method: 'POST',
      url: '/agents',
      headers: { authorization: `Bearer ${token}` },
      payload: { name: 'helper', kind: 'scripted', config: { steps: [{ say: 'Hi' }] } },
    })
  ).json<{ id: string }>().id;
}

afterEach(async () => {
  await app.close();
  await store.close();
  cleanup();
});

describe('with sip.websocket enabled', () => {
  beforeEach(() => build({ enabled: true }));

  it('issues a token for the agent, a ws URL on the host the dashboard came from, and the SIP URI', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/agents/${agentId}/phone`,
      headers: { authorization: `Bearer ${token}`, host: 'pbx.example.test:8080' },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json<Record<string, string>>();
    expect(body).toMatchObject({
      ws_url: 'ws://pbx.example.test:56300',
      uri: `sip:${agentId}@pbx.example.test`,
      header: 'X-Callwright-Phone-Token',
    });
    expect(tokens.verify(body.token as string)).toEqual({ ok: true, agentId });
    const ttl = Date.parse(body.expires_at as string) - Date.now();
    expect(ttl).toBeGreaterThan(100_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
  });

  it('finds the agent by name too, and answers 404 naming an unknown one', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const byName = await app.inject({ method: 'POST', url: '/agents/helper/phone', headers: auth });
    expect(tokens.verify(byName.json<{ token: string }>().token)).toEqual({ ok: true, agentId });
    const missing = await app.inject({ method: 'POST', url: '/agents/nobody/phone', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'NOT_FOUND', message: 'agent "nobody" not found' });
  });

  it('needs a key, or the session cookie with its CSRF token', async () => {
    expect((await app.inject({ method: 'POST', url: `/agents/${agentId}/phone` })).statusCode).toBe(401);
    const session = await app.inject({ method: 'POST', url: '/session', payload: { key: token } });
    const cookie = String(session.headers['set-cookie']).split(';')[0] as string;
    const csrf = session.json<{ csrf_token: string }>().csrf_token;
    const without = await app.inject({
      method: 'POST',
      url: `/agents/${agentId}/phone`,
      headers: { cookie },
    });
    expect(without.statusCode).toBe(403);
    const withCsrf = await app.inject({
      method: 'POST',
      url: `/agents/${agentId}/phone`,
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(withCsrf.statusCode).toBe(201);
  });
});

describe('configuration', () => {
  it('answers 409 naming sip.websocket.enabled while the browser phone is off', async () => {
    await build({ enabled: false });
    const res = await app.inject({
      method: 'POST',
      url: `/agents/${agentId}/phone`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json<{ message: string }>().message).toContain('sip.websocket.enabled: got false');
  });

  it('uses sip.websocket.public_url as given', async () => {
    await build({ enabled: true, public_url: 'wss://sip.example.test/ws' }, false);
    const res = await app.inject({
      method: 'POST',
      url: `/agents/${agentId}/phone`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.json()).toMatchObject({
      ws_url: 'wss://sip.example.test/ws',
      uri: `sip:${agentId}@sip.example.test`,
    });
  });

  it('answers 409 naming sip.websocket.public_url when no listener of ours runs (freeswitch)', async () => {
    await build({ enabled: true }, false);
    const res = await app.inject({
      method: 'POST',
      url: `/agents/${agentId}/phone`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json<{ message: string }>().message).toContain('sip.websocket.public_url');
  });
});
