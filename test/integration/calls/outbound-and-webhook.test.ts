import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { callsFixture, until } from './calls-fixture.js';
import { verifyWebhook } from '../../../src/integrations/webhooks/standard-webhooks.js';
import { CallwrightError } from '../../../src/errors.js';

let fx: ReturnType<typeof callsFixture>;
let server: http.Server | undefined;
afterEach(async () => {
  await fx?.cleanup();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

const SECRET = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');

/** A local agent webhook: records verified events, answers with `reply(event)`. */
async function webhook(reply: (event: Record<string, unknown>) => unknown, delayMs = 0) {
  const received: Array<Record<string, unknown>> = [];
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const headers = req.headers as Record<string, string>;
      const parsed = JSON.parse(body) as { event: Record<string, unknown> };
      const signature = {
        id: headers['webhook-id']!,
        timestamp: headers['webhook-timestamp']!,
        signature: headers['webhook-signature']!,
      };
      received.push({
        ...parsed.event,
        verified: verifyWebhook(SECRET, signature, body, Math.floor(Date.now() / 1000)),
      });
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(reply(parsed.event)));
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/agent`, received };
}

describe('outbound calls', () => {
  it('dials with the agent and variables; the variables are data.* for the agent and actions', async () => {
    fx = callsFixture();
    const agent = await fx.agent(
      'collector',
      'steps: [{ say: "Hello {{ data.name }}, about invoice {{ data.invoice }}" }]',
    );
    const placed = await fx.manager.placeCall({
      agent: 'collector',
      to: '+14155550123',
      from: '+14155550000',
      variables: { name: 'Ada', invoice: 'A-17' },
    });
    expect(placed.state).toBe('ringing');
    await until(() => fx.telephony.dialled.length === 1);
    const leg = fx.telephony.dialled[0]!;
    await leg.ended;
    expect(fx.telephony.dials[0]).toMatchObject({ target: '+14155550123', callerId: '+14155550000' });
    expect(leg.spoken).toEqual(['Hello Ada, about invoice A-17']);
    await until(async () => (await fx.store.calls.require(placed.call_id)).state === 'ended');
    expect(await fx.store.calls.require(placed.call_id)).toMatchObject({
      direction: 'outbound',
      agent_id: agent.id,
      to_number: '+14155550123',
      variables: { name: 'Ada', invoice: 'A-17' },
      outcome: 'completed',
    });
  });

  it('a busy callee ends the call row with outcome busy', async () => {
    fx = callsFixture();
    await fx.agent('collector', 'steps: [{ say: hi }]');
    fx.telephony.nextDial = 'busy';
    const placed = await fx.manager.placeCall({ agent: 'collector', to: '+14155550123' });
    await until(async () => (await fx.store.calls.require(placed.call_id)).state === 'ended');
    expect(await fx.store.calls.require(placed.call_id)).toMatchObject({
      outcome: 'busy',
      end_reason: 'busy',
      answered_at: null,
    });
  });

  it('refuses a DNC number with a clear error and dials nothing', async () => {
    fx = callsFixture();
    await fx.agent('collector', 'steps: [{ say: hi }]');
    await fx.store.contacts.create({ phone: '+14155550123', dnc: true, dnc_reason: 'asked on a call' });
    const err = await fx.manager
      .placeCall({ agent: 'collector', to: '+14155550123' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallwrightError);
    expect((err as CallwrightError).code).toBe('DNC');
    expect((err as CallwrightError).message).toMatch(/Do-Not-Call list .*asked on a call.*not placed/);
    expect(fx.telephony.dials).toEqual([]);
    expect(await fx.store.calls.all()).toEqual([]);
  });

  it("refuses outside calling hours in the callee's time zone (contact zone first, then the default)", async () => {
    // Saturday 2026-11-21 15:00 UTC = 10:00 in New York, 00:00 (Sunday) in Tokyo.
    const now = () => new Date('2026-11-21T15:00:00Z');
    fx = callsFixture(
      { calling_hours: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '09:00', end: '20:00' } },
      now,
    );
    await fx.agent('collector', 'steps: [{ say: hi }]');
    await fx.store.contacts.create({ phone: '+81312345678', timezone: 'Asia/Tokyo' });
    await fx.store.contacts.create({ phone: '+12125550100', timezone: 'America/New_York' });
    const err = (await fx.manager
      .placeCall({ agent: 'collector', to: '+81312345678' })
      .catch((e: unknown) => e)) as CallwrightError;
    expect(err.code).toBe('PRECONDITION');
    expect(err.message).toMatch(/Sun 00:00 in Asia\/Tokyo.*09:00-20:00.*nothing was dialled/);
    expect(fx.telephony.dials).toEqual([]);
    await fx.manager.placeCall({ agent: 'collector', to: '+12125550100' });
    await until(() => fx.telephony.dials.length === 1);
    await fx.telephony.dialled[0]!.ended;
  });

  it('refuses an unknown agent and a malformed number naming the field', async () => {
    fx = callsFixture();
    await fx.agent('collector', 'steps: [{ say: hi }]');
    await expect(fx.manager.placeCall({ agent: 'nobody', to: '+14155550123' })).rejects.toThrow(
      /agent "nobody" not found/,
    );
    const err = (await fx.manager
      .placeCall({ agent: 'collector', to: '555-1234' })
      .catch((e: unknown) => e)) as CallwrightError;
    expect(err.issues[0]).toMatchObject({ field: 'to', value: '555-1234' });
  });
});

describe('webhook agent', () => {
  it('posts each event signed; the reply commands drive the call (say, gather, hangup)', async () => {
    const hook = await webhook((event) => {
      if (event.type === 'call-started')
        return { commands: [{ type: 'gather', input: 'dtmf', prompt: 'Pick one', timeout_ms: 2000 }] };
      if (event.type === 'gather-result')
        return {
          commands: [{ type: 'say', text: `You pressed ${String(event.digits)}` }, { type: 'hangup' }],
        };
      return {};
    });
    fx = callsFixture({ default_agent: 'hooked' });
    await fx.agent('hooked', JSON.stringify({ url: hook.url, secret: SECRET, timeout_ms: 2000 }), 'webhook');
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    await until(() => leg.spoken.includes('Pick one')).catch(async (e: unknown) => {
      throw new Error(
        `${String(e)}: ${JSON.stringify(hook.received)} ${JSON.stringify(leg.spoken)} ${JSON.stringify(await fx.events((await fx.store.calls.all())[0]!.id))}`,
      );
    });
    leg.press('7');
    await leg.ended;
    await until(() => hook.received.some((e) => e.type === 'call-event'));
    expect(leg.spoken).toEqual(['Pick one', 'You pressed 7']);
    expect(hook.received.map((e) => e.type)).toEqual(['call-started', 'gather-result', 'call-event']);
    expect(hook.received.every((e) => e.verified === true)).toBe(true);
  });

  it('a dtmf command sends keys to the far end and its result comes back as the next event', async () => {
    const hook = await webhook((event) => {
      if (event.type === 'call-started') return { commands: [{ type: 'dtmf', digits: '12#' }] };
      if (event.type === 'dtmf-result') return { commands: [{ type: 'hangup' }] };
      return {};
    });
    fx = callsFixture({ default_agent: 'hooked' });
    await fx.agent('hooked', JSON.stringify({ url: hook.url, secret: SECRET, timeout_ms: 2000 }), 'webhook');
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    await leg.ended;
    expect(leg.sentDtmf).toEqual(['12#']);
    await until(() => hook.received.some((e) => e.type === 'dtmf-result'));
    expect(hook.received.find((e) => e.type === 'dtmf-result')).toMatchObject({ ok: true, sent: '12#' });
  });

  it('transcript lines the webhook sends fire intent triggers', async () => {
    const hook = await webhook((event) =>
      event.type === 'call-started'
        ? {
            commands: [
              { type: 'transcript', text: 'I want to cancel my order' },
              { type: 'gather', input: 'speech', timeout_ms: 1000 },
            ],
          }
        : event.type === 'gather-result'
          ? { commands: [{ type: 'hangup' }] }
          : {},
    );
    fx = callsFixture({ default_agent: 'hooked' });
    const agent = await fx.agent('hooked', JSON.stringify({ url: hook.url, secret: SECRET }), 'webhook');
    await fx.attach(agent.id, 'cancel_reply', 'custom-reply', { text: 'I can help you cancel.' }, 'during', [
      { kind: 'intent', phrases: ['cancel my order'] },
    ]);
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    await leg.ended;
    await until(() => fx.manager.active === 0);
    expect(leg.spoken).toContain('I can help you cancel.');
    const id = (await fx.store.calls.all())[0]!.id;
    expect(fx.runs(id)).toEqual([{ action_type: 'custom-reply', stage: 'during', status: 'succeeded' }]);
    expect(hook.received.find((e) => e.type === 'gather-result')).toMatchObject({
      input: 'speech',
      text: 'I want to cancel my order',
    });
  });

  it('a slow webhook gets the fallback: the configured line, then hang up', async () => {
    const hook = await webhook(() => ({ commands: [{ type: 'say', text: 'too late' }] }), 1500);
    fx = callsFixture({ default_agent: 'hooked' });
    await fx.agent(
      'hooked',
      JSON.stringify({
        url: hook.url,
        secret: SECRET,
        timeout_ms: 200,
        fallback: { say: 'We will call you back.' },
      }),
      'webhook',
    );
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    await leg.ended;
    expect(leg.spoken).toEqual(['We will call you back.']);
  });
});
