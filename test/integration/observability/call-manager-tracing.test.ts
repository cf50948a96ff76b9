/**
 * The call layer's traces: a call through the CallManager (fake telephony port, real store and engine)
 * with a webhook agent on a loopback receiver, exported to a real OTLP/HTTP receiver.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { callsFixture, until } from '../calls/calls-fixture.js';
import { createTracing } from '../../../src/observability/tracing.js';
import { startOtlpReceiver, type OtlpReceiver } from '../../helpers/otlp-receiver.js';
import { startHttpReceiver, type HttpReceiver } from '../../helpers/http-receiver.js';
import { startChatServer, type ChatServer } from '../../helpers/llm-providers/openai-chat-server.js';

const SECRET = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');

let fx: Awaited<ReturnType<typeof callsFixture>> | undefined;
let otlp: OtlpReceiver | undefined;
let hook: HttpReceiver | undefined;
let llm: ChatServer | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
  await otlp?.close();
  await hook?.close();
  await llm?.close();
  otlp = hook = llm = undefined;
  delete process.env.CALLWRIGHT_TEST_TRACED_LLM_KEY;
});

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

/** Waits until the call's row says it ended (the store is read asynchronously). */
async function callEnded(callId: string): Promise<void> {
  await vi.waitFor(async () => expect((await fx!.store.calls.require(callId)).state).toBe('ended'), {
    timeout: 5000,
    interval: 5,
  });
}

describe('call traces in the call layer', () => {
  it('a call is one root span; the webhook agent turns are its client spans and carry its traceparent', async () => {
    otlp = await startOtlpReceiver();
    hook = await startHttpReceiver((req) => {
      const event = (JSON.parse(req.body) as { event: { type: string } }).event;
      return event.type === 'call-started'
        ? { body: { commands: [{ type: 'say', text: 'Hello' }, { type: 'hangup' }] } }
        : { body: {} };
    });
    const tracing = await createTracing({
      enabled: true,
      otlp_endpoint: otlp.url,
      service_name: 'callwright',
      sample_ratio: 1,
    });
    fx = await callsFixture({ default_agent: 'hooked' }, undefined, { tracing });
    const agent = await fx.agent(
      'hooked',
      JSON.stringify({ url: `${hook.url}/agent`, secret: SECRET, timeout_ms: 2000 }),
      'webhook',
    );
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    await leg.ended;
    expect(leg.spoken).toEqual(['Hello']);
    const callId = (await fx.store.calls.all())[0]!.id;
    await callEnded(callId);
    await until(() => fx!.manager.active === 0);
    await until(() => hook!.requests.length >= 2);
    await tracing.shutdown();

    const root = otlp.spans.find((s) => s.name === 'call');
    expect(root?.attributes).toMatchObject({
      'callwright.call.id': callId,
      'callwright.call.direction': 'inbound',
      'callwright.agent.id': agent.id,
      'callwright.agent.kind': 'webhook',
      'callwright.telephony.backend': 'fake',
      'callwright.call.outcome': (await fx.store.calls.require(callId)).outcome,
    });
    // call-started, and the call-event `ended` posted while (or after) the call's end is written.
    const clients = otlp.spans.filter((s) => s.name === 'POST');
    expect(clients.length).toBe(hook.requests.length);
    for (const [i, req] of hook.requests.entries()) {
      const [, traceId, parentId] =
        /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(String(req.headers.traceparent)) ?? [];
      expect(traceId, `request ${i}`).toBe(root!.traceId);
      const client = clients.find((c) => c.spanId === parentId);
      expect(client?.parentSpanId).toBe(root!.spanId);
    }
    for (const s of otlp.spans)
      for (const v of Object.values(s.attributes)) expect(String(v)).not.toContain('4155550100');
  });

  it('the llm agent chat streams are client spans of the call and carry its traceparent', async () => {
    otlp = await startOtlpReceiver();
    llm = await startChatServer({ apiKey: 'sk-test', reply: () => ({ content: 'Hello there.' }) });
    const tracing = await createTracing({
      enabled: true,
      otlp_endpoint: otlp.url,
      service_name: 'callwright',
      sample_ratio: 1,
    });
    fx = await callsFixture({ default_agent: 'brain' }, undefined, { tracing });
    process.env.CALLWRIGHT_TEST_TRACED_LLM_KEY = 'sk-test';
    await fx.store.agents.create({
      name: 'brain',
      kind: 'llm',
      config: {
        base_url: llm.url,
        api_key_env: 'CALLWRIGHT_TEST_TRACED_LLM_KEY',
        model: 'gpt-test',
        system_prompt: 'Greet the caller.',
        idle: { enabled: false },
      },
    });
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    await until(() => llm!.requests.length >= 1 && llm!.requests[0]!.status === 200);
    await leg.hangup();
    const callId = (await fx.store.calls.all())[0]!.id;
    await callEnded(callId);
    await tracing.shutdown();

    const root = otlp.spans.find((s) => s.name === 'call');
    expect(root?.attributes['callwright.agent.kind']).toBe('llm');
    const [, traceId, parentId] = TRACEPARENT.exec(String(llm.requests[0]!.headers.traceparent)) ?? [];
    expect(traceId).toBe(root!.traceId);
    const client = otlp.spans.find((s) => s.spanId === parentId);
    expect(client).toMatchObject({ name: 'POST', parentSpanId: root!.spanId });
    expect(client!.attributes['http.response.status_code']).toBe(200);
  });
});
