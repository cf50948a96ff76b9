/**
 * Tracing parts against real receivers on loopback (an OTLP/HTTP receiver decoding the JSON export,
 * HTTP receivers for the outgoing requests), real SQLite stores and the real outbox worker.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createTracing, noTracing, type Tracing } from '../../../src/observability/tracing.js';
import { GuardedHttpClient } from '../../../src/integrations/http/guarded-http-client.js';
import { createOutboxWorker } from '../../../src/delivery/outbox-service.js';
import { OutboxQueue } from '../../../src/delivery/outbox-queue.js';
import { loadConfig } from '../../../src/config/load.js';
import { startupIssues } from '../../../src/config/startup-checks.js';
import { registerCallFlowActions } from '../../../src/calls/flow-actions/call-flow-types.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../helpers/otlp-receiver.js';
import { startHttpReceiver, type HttpReceiver } from '../../helpers/http-receiver.js';
import { tempStore } from '../../helpers/temp.js';
import { FakeLeg, FakeTelephony, answeredHandle } from '../../helpers/fake-port.js';
import { engineFixture } from '../actions/engine-fixture.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;
const HTTP = {
  allow_private: true,
  allow_hosts: [],
  timeout_ms: 5000,
  max_response_bytes: 1048576,
  max_redirects: 3,
  allow_cross_host_redirects: false,
};

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function receivers(): Promise<{ otlp: OtlpReceiver; rx: HttpReceiver }> {
  const otlp = await startOtlpReceiver();
  const rx = await startHttpReceiver();
  cleanups.push(
    () => otlp.close(),
    () => rx.close(),
  );
  return { otlp, rx };
}

function tracingTo(otlp: OtlpReceiver, service = 'callwright'): Promise<Tracing> {
  return createTracing({ enabled: true, otlp_endpoint: otlp.url, service_name: service, sample_ratio: 1 });
}

function parsed(header: unknown): { traceId: string; parentId: string } {
  const m = TRACEPARENT.exec(String(header ?? ''));
  if (!m) throw new Error(`not a sampled W3C traceparent: ${String(header)}`);
  return { traceId: m[1]!, parentId: m[2]! };
}

const named = (spans: ReceivedSpan[], name: string): ReceivedSpan[] => spans.filter((s) => s.name === name);

describe('tracing', () => {
  it('off: the no-op tracing runs the work, adds no header and loads no exporter', async () => {
    const tracing = await createTracing({
      enabled: false,
      otlp_endpoint: '',
      service_name: 'callwright',
      sample_ratio: 1,
    });
    expect(tracing).toBe(noTracing);
    expect(await tracing.span('x', {}, () => Promise.resolve(42))).toBe(42);
    expect(tracing.inject({ a: 'b' })).toEqual({ a: 'b' });
    expect(tracing.traceparent('call_1')).toBeUndefined();
  });

  it('the guarded client sends the traceparent of its own client span, replacing one the caller set', async () => {
    const { otlp, rx } = await receivers();
    const tracing = await tracingTo(otlp);
    const client = new GuardedHttpClient(HTTP, undefined, tracing);
    tracing.startCall('call_1', {});
    await tracing.span('action', { callId: 'call_1' }, () =>
      client.request({
        method: 'POST',
        url: `${rx.url}/hook?phone=%2B14155550100`,
        headers: { traceparent: '00-11111111111111111111111111111111-2222222222222222-01' },
        body: '{}',
      }),
    );
    tracing.endCall('call_1', { 'callwright.call.outcome': 'completed' });
    await tracing.shutdown();

    const { traceId, parentId } = parsed(rx.requests[0]?.headers.traceparent);
    const [root] = named(otlp.spans, 'call');
    const [post] = named(otlp.spans, 'POST');
    const [action] = named(otlp.spans, 'action');
    expect(traceId).toBe(root!.traceId);
    expect(parentId).toBe(post!.spanId);
    expect(post!.parentSpanId).toBe(action!.spanId);
    expect(action!.parentSpanId).toBe(root!.spanId);
    // Method and server only: the query (here a phone number) is not recorded.
    expect(post!.attributes).toEqual({
      'http.request.method': 'POST',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(rx.url).port),
      'url.scheme': 'http',
      'http.response.status_code': 200,
    });
  });

  it('a call not sampled (sample_ratio 0) exports nothing but still propagates its context, flagged not sampled', async () => {
    const { otlp, rx } = await receivers();
    const tracing = await createTracing({
      enabled: true,
      otlp_endpoint: otlp.url,
      service_name: 'callwright',
      sample_ratio: 0,
    });
    const client = new GuardedHttpClient(HTTP, undefined, tracing);
    tracing.startCall('call_0', {});
    await tracing.span('action', { callId: 'call_0' }, () => client.request({ method: 'GET', url: rx.url }));
    const stored = tracing.traceparent('call_0');
    tracing.endCall('call_0', {});
    await tracing.shutdown();
    expect(otlp.spans).toEqual([]);
    // W3C Trace Context §3.2.2.5: the sampled flag is off; receivers and later deliveries honour it.
    expect(String(rx.requests[0]?.headers.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(stored).toMatch(/-00$/);
  });

  it('the guarded client without tracing sends no traceparent', async () => {
    const { rx } = await receivers();
    await new GuardedHttpClient(HTTP).request({ method: 'GET', url: `${rx.url}/x` });
    expect(rx.requests[0]?.headers.traceparent).toBeUndefined();
  });

  it('two servers in one process keep their traces apart (nothing is registered globally)', async () => {
    const a = await receivers();
    const b = await receivers();
    const ta = await tracingTo(a.otlp, 'server-a');
    const tb = await tracingTo(b.otlp, 'server-b');
    ta.startCall('call_a', {});
    tb.startCall('call_b', {});
    // Interleaved: b's span runs inside a's async context and still belongs to b's call.
    await ta.span('action', { callId: 'call_a' }, () =>
      tb.span('action', { callId: 'call_b' }, () => Promise.resolve()),
    );
    ta.endCall('call_a', {});
    tb.endCall('call_b', {});
    await Promise.all([ta.shutdown(), tb.shutdown()]);
    expect(a.otlp.spans.map((s) => s.service)).toEqual(['server-a', 'server-a']);
    expect(b.otlp.spans.map((s) => s.service)).toEqual(['server-b', 'server-b']);
    for (const { otlp } of [a, b]) {
      const [root] = named(otlp.spans, 'call');
      expect(named(otlp.spans, 'action')[0]?.parentSpanId).toBe(root!.spanId);
    }
  });

  it('an outbox row queued during a call stores its traceparent; a later worker delivers it in that trace', async () => {
    const { otlp, rx } = await receivers();
    const tracing = await tracingTo(otlp);
    const t = tempStore();
    cleanups.push(t.cleanup);
    const call = await t.store.calls.create({
      direction: 'outbound',
      from_number: '',
      to_number: '+14155550100',
      agent_id: null,
      contact_id: null,
      started_at: new Date().toISOString(),
    });
    tracing.startCall(call.id, {});
    const queue = new OutboxQueue(t.store.sql, { maxAttempts: 3 }, Date.now, (id) => tracing.traceparent(id));
    const id = await queue.enqueue({
      idempotencyKey: 'k1',
      kind: 'http',
      callId: call.id,
      payload: { url: `${rx.url}/deliver`, body: { ok: true } },
    });
    tracing.endCall(call.id, {});
    const stored = t.store.db.prepare('SELECT traceparent FROM outbox WHERE id = ?').get(id) as {
      traceparent: string;
    };
    // The call has ended before any worker runs: the delivery must come from the stored context.
    const { worker } = await createOutboxWorker({
      store: t.store,
      logger: pino({ level: 'silent' }),
      settings: {
        poll_interval_ms: 20,
        lease_ms: 5000,
        max_attempts: 3,
        backoff_base_ms: 10,
        backoff_max_ms: 50,
        concurrency: 2,
        delivery_timeout_ms: 5000,
      },
      tracing,
    });
    worker.start();
    const deadline = Date.now() + 10_000;
    while (rx.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await worker.stop();
    await tracing.shutdown();

    const [root] = named(otlp.spans, 'call');
    expect(parsed(stored.traceparent)).toEqual({ traceId: root!.traceId, parentId: root!.spanId });
    const [delivery] = named(otlp.spans, 'outbox.deliver');
    expect(delivery).toMatchObject({ traceId: root!.traceId, parentSpanId: root!.spanId, kind: 5 });
    expect(delivery!.attributes).toMatchObject({
      'callwright.outbox.kind': 'http',
      'callwright.outbox.attempt': 1,
    });
    const { traceId, parentId } = parsed(rx.requests[0]?.headers.traceparent);
    const [post] = named(otlp.spans, 'POST');
    expect(traceId).toBe(root!.traceId);
    expect(parentId).toBe(post!.spanId);
    expect(post!.parentSpanId).toBe(delivery!.spanId);
  });

  it('a stop with the collector down does not wait for the exporter retries', async () => {
    // Port 9 (discard) on loopback: nothing listens, every export is refused and retried.
    const tracing = await createTracing({
      enabled: true,
      otlp_endpoint: 'http://127.0.0.1:9/v1/traces',
      service_name: 'callwright',
      sample_ratio: 1,
    });
    tracing.startCall('call_down', {});
    await tracing.span('action', { callId: 'call_down' }, () => Promise.resolve());
    tracing.endCall('call_down', {});
    await new Promise((r) => setTimeout(r, 1200)); // the batch's first export has failed by now
    const started = Date.now();
    await tracing.shutdown().catch(() => undefined);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('the agent fetch is a client span of its call and sends its traceparent', async () => {
    const { otlp, rx } = await receivers();
    const tracing = await tracingTo(otlp);
    tracing.startCall('call_9', {});
    const res = await tracing.fetch(fetch, () => 'call_9')(`${rx.url}/turn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    tracing.endCall('call_9', {});
    await tracing.shutdown();
    const [root] = named(otlp.spans, 'call');
    const [post] = named(otlp.spans, 'POST');
    expect(post).toMatchObject({ parentSpanId: root!.spanId, kind: 3 });
    expect(parsed(rx.requests[0]?.headers.traceparent).parentId).toBe(post!.spanId);
    expect(rx.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it('a cold transfer is a transfer span (kind, method, outcome) inside its action run', async () => {
    const { otlp } = await receivers();
    const tracing = await tracingTo(otlp);
    const fx = await engineFixture({ services: { tracing } });
    cleanups.push(fx.cleanup);
    registerCallFlowActions(fx.registry, {
      settings: {
        voicemailDir: `${fx.dir}/voicemail`,
        publicUrl: 'http://127.0.0.1:1',
        trunks: [],
        referNotifyTimeoutMs: 1000,
        ringTimeoutMs: 500,
        durableVoicemailEmail: false,
      },
      telephony: new FakeTelephony(),
      sink: { emit: () => undefined },
    });
    await fx.attach('to-sales', 'cold-transfer', { target: 'sales' }, 'during', {
      triggers: [{ kind: 'tool' }],
    });
    await fx.store.agents.update(fx.agent.id, {
      targets: { sales: { type: 'sip', uri: 'sip:sales@pbx.example' } },
    });
    const call = await fx.call();
    tracing.startCall(call.id, {});
    const leg = new FakeLeg();
    const session = await fx.engine.session({
      agentId: fx.agent.id,
      callId: call.id,
      call: answeredHandle(call.id, leg),
    });
    expect(await session.callTool('to-sales', {})).toMatchObject({ ok: true });
    tracing.endCall(call.id, {});
    await tracing.shutdown();
    const [action] = named(otlp.spans, 'action');
    const [transfer] = named(otlp.spans, 'transfer');
    expect(action!.attributes).toMatchObject({
      'callwright.action.type': 'cold-transfer',
      'callwright.action.trigger': 'tool:to-sales',
      'callwright.action.status': 'succeeded',
    });
    expect(transfer).toMatchObject({ parentSpanId: action!.spanId });
    expect(transfer!.attributes).toEqual({
      'callwright.transfer.kind': 'cold',
      'callwright.transfer.method': 'refer',
      'callwright.transfer.outcome': 'completed',
    });
  });
});

describe('tracing config', () => {
  const issues = (tracing: Record<string, unknown>) =>
    startupIssues(loadConfig({ env: {}, overrides: { tracing } })).filter((i) =>
      i.field.startsWith('tracing'),
    );

  it('is off by default and needs nothing then', () => {
    const config = loadConfig({ env: {} });
    expect(config.tracing).toEqual({
      enabled: false,
      otlp_endpoint: '',
      service_name: 'callwright',
      sample_ratio: 1,
    });
    expect(issues({})).toEqual([]);
  });

  it('on, names a missing or non-HTTP endpoint with what is accepted', () => {
    expect(issues({ enabled: true })).toEqual([
      {
        field: 'tracing.otlp_endpoint',
        value: '',
        expected:
          'an http:// or https:// OTLP/HTTP traces URL such as http://collector:4318/v1/traces (required when tracing.enabled is true)',
      },
    ]);
    expect(issues({ enabled: true, otlp_endpoint: 'grpc://collector:4317' })[0]).toMatchObject({
      field: 'tracing.otlp_endpoint',
      value: 'grpc://collector:4317',
    });
    expect(issues({ enabled: true, otlp_endpoint: 'http://collector:4318/v1/traces' })).toEqual([]);
  });

  it('refuses a sample ratio outside 0..1, naming the key and the value', () => {
    expect(() => loadConfig({ env: {}, overrides: { tracing: { sample_ratio: 2 } } })).toThrow(
      /tracing\.sample_ratio: got 2, expected .*1/,
    );
  });
});
