import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../../helpers/http-receiver.js';
import {
  fakeCall,
  integrationFixture,
  twilioCreated,
  TWILIO_SID,
  TWILIO_TOKEN,
  until,
} from './integration-fixture.js';
import { verifyWebhook } from '../../../src/integrations/webhooks/standard-webhooks.js';
import { MessageRepository } from '../../../src/integrations/sms/message-repository.js';

let api: HttpReceiver;
let twilio: HttpReceiver;
let fx: Awaited<ReturnType<typeof integrationFixture>>;
const SECRET = 'whsec_' + Buffer.from('a-very-secret-signing-key-123456').toString('base64');

beforeEach(async () => {
  api = await startHttpReceiver();
  twilio = await startHttpReceiver(() => twilioCreated('SM0001'));
  fx = await integrationFixture({
    sms: {
      twilio: {
        account_sid: TWILIO_SID,
        auth_token: TWILIO_TOKEN,
        from: '+14155550111',
        base_url: twilio.url,
      },
    },
  });
});
afterEach(async () => {
  await fx.cleanup();
  await api.close();
  await twilio.close();
});

describe('http-request mid-call feeding the next action', () => {
  it('maps JSON fields to variables while the agent says a filler, and the SMS text uses them', async () => {
    api.respond((req) =>
      req.headers.authorization === 'Bearer order-token'
        ? { status: 200, body: { order: { status: 'shipped', eta: 'Friday' } } }
        : { status: 401, body: { error: 'no token' } },
    );
    await fx.attach(
      'lookup',
      'http-request',
      {
        method: 'GET',
        url: `${api.url}/orders`,
        query: { phone: '{{ call.from }}' },
        headers: { 'X-Agent': '{{ call.agent_id }}' },
        auth: { type: 'bearer', token: 'order-token' },
        response_map: { order_status: '$.order.status', eta: '$.order.eta', missing: '$.order.nothing' },
        filler: 'One moment while I check that.',
      },
      'during',
    );
    await fx.attach(
      'text',
      'send-sms',
      { body: 'Your order is {{ actions.lookup.order_status }}, arriving {{ actions.lookup.eta }}.' },
      'during',
    );
    const call = await fx.call('+14155550100');
    const live = fakeCall(call.id);
    const session = await fx.engine.session({
      agentId: fx.agent.id,
      callId: call.id,
      from: '+14155550100',
      to: '+14155550199',
      call: live,
    });
    await session.handleEvent({ type: 'answered' });
    const result = await session.runStage('during');

    expect(result.runs.map((r) => [r.action, r.status])).toEqual([
      ['lookup', 'succeeded'],
      ['text', 'succeeded'],
    ]);
    expect(live.said).toEqual(['One moment while I check that.']);
    const req = api.requests[0]!;
    expect(req.method).toBe('GET');
    expect(req.url).toBe('/orders?phone=%2B14155550100');
    expect(req.headers['x-agent']).toBe(fx.agent.id);
    expect(req.headers['idempotency-key']).toMatch(new RegExp(`^${call.id}:`));
    expect(result.runs[0]!.outputs).toEqual({
      status: 200,
      ok: true,
      order_status: 'shipped',
      eta: 'Friday',
      missing: null,
    });

    // The SMS provider double saw Twilio's wire format.
    const sms = twilio.requests[0]!;
    expect(sms.method).toBe('POST');
    expect(sms.url).toBe(`/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`);
    expect(sms.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sms.headers.authorization).toBe(
      `Basic ${Buffer.from(`${TWILIO_SID}:${TWILIO_TOKEN}`).toString('base64')}`,
    );
    expect(Object.fromEntries(new URLSearchParams(sms.body))).toEqual({
      To: '+14155550100',
      From: '+14155550111',
      Body: 'Your order is shipped, arriving Friday.',
    });
    const rows = (await new MessageRepository(fx.store.sql).list({}, { call_id: call.id })).items;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      direction: 'outbound',
      provider: 'twilio',
      provider_id: 'SM0001',
      status: 'queued',
    });
  });

  it('sends form bodies signed with an HMAC header, and JSON bodies with basic auth', async () => {
    await fx.attach(
      'signed',
      'http-request',
      {
        method: 'POST',
        url: `${api.url}/hook`,
        body_type: 'form',
        body: { caller: '{{ call.from }}', reason: 'callback' },
        auth: {
          type: 'hmac',
          secret: 'shh',
          header: 'X-Hub-Signature-256',
          prefix: 'sha256=',
          timestamp_header: 'X-Timestamp',
        },
      },
      'during',
    );
    await fx.attach(
      'basic',
      'http-request',
      {
        method: 'PUT',
        url: `${api.url}/records/{{ call.id }}`,
        body: { note: 'Called {{ call.to }}', n: 3 },
        auth: { type: 'basic', username: 'bot', password: 'pw' },
      },
      'during',
    );
    const call = await fx.call();
    const session = await fx.engine.session({
      agentId: fx.agent.id,
      callId: call.id,
      from: '+14155550100',
      to: '+14155550199',
    });
    const result = await session.runStage('during');
    expect(result.runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);

    const [form, json] = api.requests;
    expect(form!.method).toBe('POST');
    expect(form!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form!.body).toBe('caller=%2B14155550100&reason=callback');
    const ts = String(form!.headers['x-timestamp']);
    const expected = 'sha256=' + createHmac('sha256', 'shh').update(`${ts}.${form!.body}`).digest('hex');
    expect(form!.headers['x-hub-signature-256']).toBe(expected);

    expect(json!.method).toBe('PUT');
    expect(json!.url).toBe(`/records/${call.id}`);
    expect(json!.headers.authorization).toBe(`Basic ${Buffer.from('bot:pw').toString('base64')}`);
    expect(JSON.parse(json!.body)).toEqual({ note: 'Called +14155550199', n: 3 });
  });

  it('fails with the status: 4xx at once, 5xx retried by the attachment policy', async () => {
    api.respond((_req, i) => (i < 2 ? { status: 503, body: 'busy' } : { status: 200, body: { ok: 1 } }));
    await fx.attach(
      'flaky',
      'http-request',
      { url: `${api.url}/x`, response_map: { ok: '$.ok' } },
      'during',
      {
        failure_policy: { retries: 2, backoff_ms: 5 },
      },
    );
    const call = await fx.call();
    const session = await fx.engine.session({ agentId: fx.agent.id, callId: call.id });
    const first = await session.runStage('during');
    expect(first.runs[0]).toMatchObject({ status: 'succeeded', attempts: 3, outputs: { ok: 1 } });

    api.respond(() => ({ status: 404, body: 'no such order' }));
    const again = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    const second = await again.runStage('during');
    expect(second.runs[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(second.runs[0]!.error).toMatchObject({ code: 'HTTP_STATUS', retryable: false });
    expect(second.runs[0]!.error!.message).toContain('404');
  });

  it('is refused by the guard when the URL is private and not allowed', async () => {
    await fx.attach('meta', 'http-request', { url: 'http://169.254.169.254/latest/meta-data/' }, 'during');
    const session = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    const result = await session.runStage('during');
    expect(result.runs[0]!.error).toMatchObject({ code: 'HTTP_BLOCKED', retryable: false });
  });

  it('maps a response through an RFC 9535 filter and a slice, which the hand-written subset refused', async () => {
    api.respond(() => ({
      status: 200,
      body: {
        items: [
          { id: 't1', status: 'open' },
          { id: 't2', status: 'closed' },
          { id: 't3', status: 'open' },
        ],
      },
    }));
    await fx.attach(
      'tickets',
      'http-request',
      {
        method: 'GET',
        url: `${api.url}/tickets`,
        response_map: { open_ids: "$.items[?@.status == 'open'].id", first_two: '$.items[0:2].id' },
      },
      'during',
    );
    const call = await fx.call('+14155550100');
    const session = await fx.engine.session({
      agentId: fx.agent.id,
      callId: call.id,
      from: '+14155550100',
      to: '+14155550199',
      call: fakeCall(call.id),
    });
    await session.handleEvent({ type: 'answered' });
    const result = await session.runStage('during');
    expect(result.runs[0]!.outputs).toEqual({
      status: 200,
      ok: true,
      open_ids: ['t1', 't3'],
      first_two: ['t1', 't2'],
    });
  });

  it('refuses invalid configs on save, naming the field', async () => {
    await expect(async () =>
      fx.engine.definitions.create({
        name: 'bad',
        type: 'http-request',
        config: { url: 'ftp://x', response_map: {} },
      }),
    ).rejects.toThrow(/config\.url/);
    await expect(async () =>
      fx.engine.definitions.create({
        name: 'bad2',
        type: 'http-request',
        config: { url: 'https://x.example', response_map: { s: "$.items[?@.status = 'open']" } },
      }),
    ).rejects.toThrow(
      /config\.response_map\.s: got "\$\.items\[\?@\.status = 'open'\]", expected a JSONPath/,
    );
  });
});

describe('webhook after the call', () => {
  it('POSTs the call data through the outbox, signed the Standard Webhooks way, with one id across retries', async () => {
    api.respond((_req, i) => (i === 0 ? { status: 500, body: 'oops' } : { status: 204, body: '' }));
    await fx.attach('zap', 'webhook', { url: `${api.url}/hooks/catch/123/abc`, secret: SECRET }, 'after');
    const call = await fx.call('+14155550100');
    await fx.store.callEvents.append(call.id, 'transcript', {
      speaker: 'caller',
      text: 'Where is my order?',
    });
    const session = await fx.engine.session({
      agentId: fx.agent.id,
      callId: call.id,
      from: '+14155550100',
      collected: { order: 'A-1' },
    });
    const ended = await fx.engine.endCall(session, { endReason: 'caller hung up' });
    const { worker, repository } = fx.worker();
    worker.start();
    await until(async () => (await repository.get(ended.queued[0]!))?.status === 'delivered');

    expect(api.requests).toHaveLength(2);
    const [first, second] = api.requests;
    expect(first!.headers['webhook-id']).toBe(second!.headers['webhook-id']);
    for (const r of [first!, second!]) {
      expect(r.method).toBe('POST');
      expect(r.headers['content-type']).toBe('application/json');
      const ok = verifyWebhook(
        SECRET,
        {
          id: String(r.headers['webhook-id']),
          timestamp: String(r.headers['webhook-timestamp']),
          signature: String(r.headers['webhook-signature']),
        },
        r.body,
        Math.floor(Date.now() / 1000),
      );
      expect(ok).toBe(true);
    }
    const payload = JSON.parse(second!.body);
    expect(payload.type).toBe('call.ended');
    expect(payload.data.call).toMatchObject({
      id: call.id,
      from: '+14155550100',
      end_reason: 'caller hung up',
    });
    expect(payload.data.collected).toEqual({ order: 'A-1' });
    expect(payload.data.transcript).toEqual([
      expect.objectContaining({ speaker: 'caller', text: 'Where is my order?' }),
    ]);
  });

  it('rejects a secret that is not whsec_ base64', async () => {
    await expect(async () =>
      fx.engine.definitions.create({
        name: 'w',
        type: 'webhook',
        config: { url: 'https://hooks.zapier.com/x', secret: 'plain' },
      }),
    ).rejects.toThrow(/config\.secret/);
  });
});
