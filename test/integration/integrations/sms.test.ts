import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startHttpReceiver, type HttpReceiver } from '../../helpers/http-receiver.js';
import { integrationFixture, twilioCreated, TWILIO_SID, TWILIO_TOKEN, until } from './integration-fixture.js';
import { MessageRepository } from '../../../src/integrations/sms/message-repository.js';
import { twilioSignature } from '../../../src/integrations/sms/twilio-signature.js';
import { buildApi } from '../../../src/api/app.js';

let twilio: HttpReceiver;
let fx: Awaited<ReturnType<typeof integrationFixture>>;
const PUBLIC = 'https://callwright.example.com';

beforeEach(async () => {
  twilio = await startHttpReceiver(() => twilioCreated('SM0002'));
  fx = await integrationFixture({
    api: { public_url: PUBLIC },
    sms: {
      twilio: {
        account_sid: TWILIO_SID,
        auth_token: TWILIO_TOKEN,
        from: '+14155550111',
        whatsapp_from: '+14155550112',
        base_url: twilio.url,
      },
    },
  });
});
afterEach(async () => {
  await fx.cleanup();
  await twilio.close();
});

function messages() {
  return new MessageRepository(fx.store.sql);
}

async function runDuring() {
  const call = await fx.call('+14155550100');
  const session = await fx.engine.session({
    agentId: fx.agent.id,
    callId: call.id,
    from: '+14155550100',
    to: '+14155550199',
  });
  return { call, result: await session.runStage('during') };
}

describe('send-sms and send-whatsapp', () => {
  it('refuses DNC numbers and numbers that replied STOP, storing the refusal; nothing reaches the provider', async () => {
    await fx.attach('text', 'send-sms', { body: 'Hello' }, 'during');
    await fx.store.contacts.create({ phone: '+14155550100', dnc: true, dnc_reason: 'asked' });
    const dnc = await runDuring();
    expect(dnc.result.runs[0]!.error).toMatchObject({ code: 'DNC', retryable: false });
    expect(dnc.result.runs[0]!.error!.message).toMatch(/Do-Not-Call/);

    const c = (await fx.store.contacts.findBy('phone', '+14155550100'))!;
    await fx.store.contacts.update(c.id, { dnc: false, sms_opt_out: true });
    const stop = await runDuring();
    expect(stop.result.runs[0]!.error!.message).toMatch(/replied STOP/);
    expect(twilio.requests).toHaveLength(0);
    expect((await messages().all()).map((m) => m.status)).toEqual(['refused', 'refused']);
  });

  it('sends WhatsApp with whatsapp: addresses', async () => {
    await fx.attach('wa', 'send-whatsapp', { body: 'Hi {{ call.from }}' }, 'during');
    const { result } = await runDuring();
    expect(result.runs[0]).toMatchObject({
      status: 'succeeded',
      outputs: { provider_id: 'SM0002', status: 'queued' },
    });
    const form = Object.fromEntries(new URLSearchParams(twilio.requests[0]!.body));
    expect(form).toEqual({
      To: 'whatsapp:+14155550100',
      From: 'whatsapp:+14155550112',
      Body: 'Hi +14155550100',
    });
    expect((await messages().all())[0]).toMatchObject({ channel: 'whatsapp', provider_id: 'SM0002' });
  });

  it('sends to a recipient written with spaces or the 00 prefix in E.164, and finds the DNC mark stored under it', async () => {
    await fx.attach('text', 'send-sms', { to: '001 (415) 555-0177', body: 'Hello' }, 'during');
    const { result } = await runDuring();
    expect(result.runs[0]).toMatchObject({ status: 'succeeded' });
    expect(Object.fromEntries(new URLSearchParams(twilio.requests[0]!.body)).To).toBe('+14155550177');
    await fx.store.contacts.create({ phone: '+14155550177', dnc: true, dnc_reason: 'asked' });
    const again = await runDuring();
    expect(again.result.runs[0]!.error).toMatchObject({ code: 'DNC' });
  });

  it('refuses on save a literal recipient outside its numbering plan, naming the field and the value', async () => {
    await expect(async () =>
      fx.engine.definitions.create({ name: 'bad-to', type: 'send-sms', config: { to: '+1234', body: 'Hi' } }),
    ).rejects.toThrow(
      'config.to: got "+1234", expected a phone number (+ and country code, e.g. +14155550123)',
    );
  });

  it("after the call: a provider 5xx is retried by the policy, then dead-lettered with the provider's error", async () => {
    twilio.respond(() => ({
      status: 503,
      body: { code: 20503, message: 'Service Unavailable', status: 503 },
    }));
    await fx.attach('thanks', 'send-sms', { body: 'Thanks for calling' }, 'after', {
      failure_policy: { retries: 2 },
    });
    const call = await fx.call('+14155550100');
    const session = await fx.engine.session({ agentId: fx.agent.id, callId: call.id, from: '+14155550100' });
    const ended = await fx.engine.endCall(session);
    const { worker, repository } = fx.worker();
    worker.start();
    await until(async () => (await repository.get(ended.queued[0]!))?.status === 'dead');
    const row = (await repository.get(ended.queued[0]!))!;
    expect(row.attempts).toBe(3);
    expect(row.last_error).toContain('Service Unavailable');
    expect(row.last_error).toContain('20503');
    expect(twilio.requests).toHaveLength(3);
    const run = (await fx.engine.history.list({ callId: call.id })).items[0]!;
    expect(run).toMatchObject({ status: 'failed', attempts: 3 });
    expect((await messages().all()).every((m) => m.status === 'failed' && m.error?.includes('20503'))).toBe(
      true,
    );
  });

  it('a provider 4xx (invalid number) dead-letters at once, without retries', async () => {
    twilio.respond(() => ({
      status: 400,
      body: {
        code: 21211,
        message: "The 'To' number +14155550100 is not a valid phone number.",
        status: 400,
      },
    }));
    await fx.attach('thanks', 'send-sms', { body: 'Thanks' }, 'after', { failure_policy: { retries: 3 } });
    const call = await fx.call('+14155550100');
    const ended = await fx.engine.endCall(
      await fx.engine.session({ agentId: fx.agent.id, callId: call.id, from: '+14155550100' }),
    );
    const { worker, repository } = fx.worker();
    worker.start();
    await until(async () => (await repository.get(ended.queued[0]!))?.status === 'dead');
    expect((await repository.get(ended.queued[0]!))!.attempts).toBe(1);
    expect((await repository.get(ended.queued[0]!))!.last_error).toContain('21211');
  });

  it('sends through the generic HTTP provider, reading id and status by JSONPath', async () => {
    const gw = await startHttpReceiver(() => ({
      status: 202,
      body: { data: { messageId: 'gw-9', state: 'accepted' } },
    }));
    try {
      const local = await integrationFixture({
        sms: {
          default_provider: 'http',
          http: {
            url: `${gw.url}/send`,
            token: 'gw-token',
            from: '+14155550113',
            id_path: '$.data.messageId',
            status_path: '$.data.state',
          },
        },
      });
      await local.attach('text', 'send-sms', { body: 'Generic hello' }, 'during');
      const call = await local.call('+14155550100');
      const res = await (
        await local.engine.session({ agentId: local.agent.id, callId: call.id, from: '+14155550100' })
      ).runStage('during');
      expect(res.runs[0]!.outputs).toMatchObject({
        provider: 'http',
        provider_id: 'gw-9',
        status: 'accepted',
      });
      expect(gw.requests[0]!.headers.authorization).toBe('Bearer gw-token');
      expect(JSON.parse(gw.requests[0]!.body)).toEqual({
        to: '+14155550100',
        from: '+14155550113',
        body: 'Generic hello',
        channel: 'sms',
      });
      await local.cleanup();
    } finally {
      await gw.close();
    }
  });
});

describe('inbound SMS webhook', () => {
  let app: FastifyInstance;
  let key: string;
  beforeEach(async () => {
    app = await buildApi({ store: fx.store, config: fx.config, actionEngine: fx.engine });
    key = (await fx.store.apiKeys.create('test')).token;
  });
  afterEach(async () => app.close());

  function post(fields: Record<string, string>, signature?: string) {
    const body = new URLSearchParams(fields).toString();
    return app.inject({
      method: 'POST',
      url: '/webhooks/sms/twilio',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-api-key': key,
        'x-twilio-signature':
          signature ?? twilioSignature(TWILIO_TOKEN, `${PUBLIC}/webhooks/sms/twilio`, fields),
      },
      payload: body,
    });
  }

  it('stores a reply during a live call, writes it to the transcript and exposes it as a variable', async () => {
    const call = await fx.call('+14155550100');
    const fields = {
      From: '+14155550100',
      To: '+14155550111',
      Body: 'Yes, Friday works',
      MessageSid: 'SMin1',
      AccountSid: TWILIO_SID,
    };
    const res = await post(fields);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/xml/);
    const stored = (await messages().all())[0]!;
    expect(stored).toMatchObject({
      direction: 'inbound',
      body: 'Yes, Friday works',
      provider_id: 'SMin1',
      call_id: call.id,
      status: 'received',
    });
    const events = (await fx.store.callEvents.list(call.id)).items;
    expect(events.at(-1)).toMatchObject({
      type: 'transcript',
      data: { speaker: 'caller', channel: 'sms', text: 'Yes, Friday works' },
    });
    expect((await fx.store.calls.require(call.id)).variables.sms_reply).toMatchObject({
      body: 'Yes, Friday works',
      from: '+14155550100',
    });
  });

  it('STOP opts the number out (and send-sms is then refused); START opts it back in', async () => {
    expect(
      (await post({ From: '+14155550177', To: '+14155550111', Body: 'stop', MessageSid: 'SM1' })).statusCode,
    ).toBe(200);
    expect((await fx.store.contacts.findBy('phone', '+14155550177'))?.sms_opt_out).toBe(true);
    await fx.attach('text', 'send-sms', { to: '+14155550177', body: 'Promo' }, 'during');
    const callId = (await fx.call()).id;
    const r = await (await fx.engine.session({ agentId: fx.agent.id, callId })).runStage('during');
    expect(r.runs[0]!.error?.code).toBe('DNC');
    await post({ From: '+14155550177', To: '+14155550111', Body: 'START', MessageSid: 'SM2' });
    expect((await fx.store.contacts.findBy('phone', '+14155550177'))?.sms_opt_out).toBe(false);
  });

  it('needs no API key when the provider signs its requests (Twilio cannot send one)', async () => {
    const fields = { From: '+14155550100', To: '+14155550111', Body: 'hi', MessageSid: 'SMnokey' };
    const res = await app.inject({
      method: 'POST',
      url: '/webhooks/sms/twilio',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(TWILIO_TOKEN, `${PUBLIC}/webhooks/sms/twilio`, fields),
      },
      payload: new URLSearchParams(fields).toString(),
    });
    expect(res.statusCode).toBe(200);
    expect(await messages().all()).toHaveLength(1);
  });

  it('requires an API key when no provider secret is configured to verify the request', async () => {
    const unsigned = await buildApi({
      store: fx.store,
      actionEngine: fx.engine,
      config: {
        ...fx.config,
        sms: { ...fx.config.sms, twilio: { ...fx.config.sms.twilio, auth_token: '' } },
      },
    });
    try {
      const payload = new URLSearchParams({
        From: '+14155550100',
        To: '+14155550111',
        Body: 'STOP',
      }).toString();
      const headers = { 'content-type': 'application/x-www-form-urlencoded' };
      const anonymous = await unsigned.inject({
        method: 'POST',
        url: '/webhooks/sms/twilio',
        headers,
        payload,
      });
      expect(anonymous.statusCode).toBe(401);
      expect(await messages().all()).toHaveLength(0);
      const keyed = await unsigned.inject({
        method: 'POST',
        url: '/webhooks/sms/twilio',
        headers: { ...headers, 'x-api-key': key },
        payload,
      });
      expect(keyed.statusCode).toBe(200);
    } finally {
      await unsigned.close();
    }
  });

  it('refuses a request whose X-Twilio-Signature does not match', async () => {
    const res = await post({ From: '+14155550100', To: '+14155550111', Body: 'hi' }, 'forged');
    expect(res.statusCode).toBe(403);
    expect(await messages().all()).toHaveLength(0);
  });
});

describe('inbound webhook for a generic HTTP gateway', () => {
  const TOKEN = 'gateway-shared-token-1234';
  let app: FastifyInstance;
  beforeEach(async () => {
    app = await buildApi({
      store: fx.store,
      actionEngine: fx.engine,
      config: { ...fx.config, sms: { ...fx.config.sms, http: { ...fx.config.sms.http, token: TOKEN } } },
    });
  });
  afterEach(async () => app.close());

  const send = (payload: Record<string, unknown>, token?: string) =>
    app.inject({
      method: 'POST',
      url: '/webhooks/sms/http',
      headers: token === undefined ? {} : { 'x-webhook-token': token },
      payload,
    });
  const reply = { from: '+14155550100', to: '+14155550111', body: 'STOP', id: 'gw-in-1' };

  it('checks X-Webhook-Token before the body, names a missing field, and stores a valid reply', async () => {
    expect((await send(reply)).statusCode).toBe(403);
    expect((await send(reply, 'gateway-shared-token-9999')).statusCode).toBe(403);
    expect((await send({ from: 'x' }, 'wrong')).statusCode).toBe(403);
    const missing = await send({ from: '+14155550100', body: 'hi' }, TOKEN);
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'VALIDATION', issues: [{ field: 'body.to' }] });
    expect(await messages().all()).toHaveLength(0);

    const ok = await send(reply, TOKEN);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ opt_change: 'opt-out', call_id: null });
    expect((await messages().all())[0]).toMatchObject({
      direction: 'inbound',
      provider: 'http',
      provider_id: 'gw-in-1',
    });
    expect((await fx.store.contacts.findBy('phone', '+14155550100'))?.sms_opt_out).toBe(true);
  });
});
