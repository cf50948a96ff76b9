/**
 * POST /calls over an admission limit: HTTP 503 with Retry-After and a body naming the limit, nothing
 * dialled; or, with `queue: true`, the request waits for a place and the call is placed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../../src/api/app.js';
import { AdmissionControl } from '../../../src/calls/admission.js';
import type { FakeLeg } from '../../helpers/fake-port.js';
import { testConfig } from '../../helpers/temp.js';
import { callsFixture, until } from '../calls/calls-fixture.js';

let fx: ReturnType<typeof callsFixture> | undefined;
let admission: AdmissionControl | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  admission?.close();
  await fx?.cleanup();
  app = fx = admission = undefined;
});

/** A long gather holds the call until the test hangs it up. */
const HOLDING = 'steps: [{ gather: { input: dtmf, max_digits: 1, timeout_ms: 60000, into: k } }]';

async function setup(limits: { max_concurrent_calls?: number; max_calls_per_second?: number }) {
  admission = new AdmissionControl({
    max_concurrent_calls: limits.max_concurrent_calls ?? 0,
    max_calls_per_second: limits.max_calls_per_second ?? 0,
    retry_after_s: 4,
    auto: false,
  });
  fx = callsFixture({}, undefined, { trunks: [], admission });
  await fx.agent('holder', HOLDING);
  app = await buildApi({
    store: fx.store,
    config: testConfig(fx.dir),
    calls: fx.manager,
    actionEngine: fx.engine,
  });
  const { token } = await fx.store.apiKeys.create('test');
  const post = (body: Record<string, unknown>) =>
    app!.inject({
      method: 'POST',
      url: '/calls',
      headers: { authorization: `Bearer ${token}` },
      payload: body,
    });
  return { post };
}

describe('POST /calls over an admission limit', () => {
  it('answers 503 with Retry-After and a body naming max_concurrent_calls; nothing is dialled', async () => {
    const { post } = await setup({ max_concurrent_calls: 1 });
    const first = await post({ agent: 'holder', to: 'sip:bob@127.0.0.1:5099' });
    expect(first.statusCode).toBe(202);
    const second = await post({ agent: 'holder', to: 'sip:carol@127.0.0.1:5099' });
    expect(second.statusCode).toBe(503);
    expect(second.headers['retry-after']).toBe('4');
    expect(second.json()).toEqual({
      code: 'UNAVAILABLE',
      message: 'admission.max_concurrent_calls (1) reached: 1 calls in progress',
      reason: 'concurrency',
      limit: 'admission.max_concurrent_calls',
      retry_after_s: 4,
    });
    await until(() => fx!.telephony.dials.length === 1);
    expect(fx!.telephony.dials.map((d) => d.target)).toEqual(['sip:bob@127.0.0.1:5099']);
    expect(await fx!.store.calls.all()).toHaveLength(1);
  });

  it('names max_calls_per_second when new calls come too fast', async () => {
    const { post } = await setup({ max_calls_per_second: 1 });
    expect((await post({ agent: 'holder', to: 'sip:bob@127.0.0.1:5099' })).statusCode).toBe(202);
    const fast = await post({ agent: 'holder', to: 'sip:carol@127.0.0.1:5099' });
    expect(fast.statusCode).toBe(503);
    expect(fast.json()).toMatchObject({ reason: 'rate', limit: 'admission.max_calls_per_second' });
  });

  it('with queue: true waits for a place and places the call once one frees', async () => {
    const { post } = await setup({ max_concurrent_calls: 1 });
    const first = (await post({ agent: 'holder', to: 'sip:bob@127.0.0.1:5099' })).json() as {
      call_id: string;
    };
    await until(() => !!fx!.manager.get(first.call_id)?.leg);
    let settled = false;
    const queued = post({
      agent: 'holder',
      to: 'sip:carol@127.0.0.1:5099',
      queue: true,
      queue_timeout_s: 10,
    });
    void queued.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    (fx!.manager.get(first.call_id)!.leg as FakeLeg).remoteHangup();
    const res = await queued;
    expect(res.statusCode).toBe(202);
    await until(() => fx!.telephony.dials.length === 2);
    expect(fx!.telephony.dials[1]!.target).toBe('sip:carol@127.0.0.1:5099');
  });

  it('with queue: true answers 503 once queue_timeout_s passes without a place', async () => {
    const { post } = await setup({ max_concurrent_calls: 1 });
    await post({ agent: 'holder', to: 'sip:bob@127.0.0.1:5099' });
    const started = Date.now();
    const res = await post({
      agent: 'holder',
      to: 'sip:carol@127.0.0.1:5099',
      queue: true,
      queue_timeout_s: 1,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('4');
    expect(res.json()).toMatchObject({ reason: 'concurrency' });
  });

  it('answers 503 + Retry-After with reason draining once the server drains, even with queue: true', async () => {
    const { post } = await setup({});
    admission!.startDrain();
    await fx!.manager.drain();
    for (const queue of [false, true]) {
      const res = await post({ agent: 'holder', to: 'sip:bob@127.0.0.1:5099', queue, queue_timeout_s: 5 });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('4');
      expect(res.json()).toMatchObject({ reason: 'draining', limit: 'calls.drain' });
    }
    expect(fx!.telephony.dials).toEqual([]);
  });

  it('refuses queue_timeout_s over the maximum, naming the field', async () => {
    const { post } = await setup({ max_concurrent_calls: 1 });
    const res = await post({
      agent: 'holder',
      to: 'sip:bob@127.0.0.1:5099',
      queue: true,
      queue_timeout_s: 601,
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/queue_timeout_s/);
  });
});
