/**
 * Traces of a real call: the real server on the embedded backend with tracing on, exporting to a real
 * OTLP/HTTP receiver on loopback; sipp places the call; webhook actions (during the call and after it,
 * through the outbox) post to a loopback receiver. Port block for this file: 49800-49999
 * (sipp 49801/49810, admin API 49890-49891, server RTP 49900-49999).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startAcceptanceServer,
  until,
  type AcceptanceServer,
} from '../calls/acceptance/acceptance-server.js';
import { startHttpReceiver, type HttpReceiver } from '../../helpers/http-receiver.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../helpers/otlp-receiver.js';
import { runSipp, sippFailure } from '../../helpers/sipp.js';

const BASE = 49800;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

function overrides(tracing: Record<string, unknown>, n: number): Record<string, unknown> {
  return {
    api: { port: BASE + 90 + n },
    media: { rtp_port_min: BASE + 100 + n * 50, rtp_port_max: BASE + 149 + n * 50 },
    http: { allow_private: true },
    calls: { default_agent: 'traced' },
    tracing,
  };
}

/** The agent: greets and hangs up; a webhook when the call is answered and one after it (outbox). */
async function setup(app: AcceptanceServer, webhooks: HttpReceiver): Promise<string> {
  return app.setupAgent({
    name: 'traced',
    steps: [{ say: 'Hello from Callwright.' }, { hangup: {} }],
    actions: [
      {
        name: 'on_answer',
        type: 'webhook',
        config: { url: `${webhooks.url}/during`, event: 'call.answered' },
      },
      { name: 'after_hook', type: 'webhook', config: { url: `${webhooks.url}/after` } },
    ],
    attachments: [
      { action: 'on_answer', stage: 'during', triggers: [{ kind: 'event', event: 'answered' }] },
      { action: 'after_hook', stage: 'after' },
    ],
  });
}

async function placeCall(app: AcceptanceServer): Promise<void> {
  const result = await runSipp({
    scenario: 'uac-invite-expect-server-bye.xml',
    remote: app.sipTarget,
    service: '1000',
    localPort: BASE + 1,
    mediaPort: BASE + 10,
    timeoutMs: 30_000,
  });
  expect(result.code, sippFailure(result)).toBe(0);
}

describe('call traces over OTLP/HTTP', () => {
  let otlp: OtlpReceiver;
  let webhooks: HttpReceiver;
  beforeAll(async () => {
    otlp = await startOtlpReceiver();
    webhooks = await startHttpReceiver();
  });
  afterAll(async () => {
    await otlp?.close();
    await webhooks?.close();
  });

  it('exports one trace per call (root, action runs, the after-call delivery) and sends its traceparent to the webhook', async () => {
    const app = await startAcceptanceServer(
      BASE,
      overrides({ enabled: true, otlp_endpoint: otlp.url, service_name: 'callwright-e2e' }, 0),
    );
    let callId = '';
    try {
      const agentId = await setup(app, webhooks);
      await placeCall(app);
      const call = await app.callWhen((await app.callTo('1000')).id, (c) => c.state === 'ended');
      callId = call.id;
      await until(() => webhooks.requests.some((r) => r.url === '/after'), 20_000);
      expect(webhooks.requests.map((r) => r.url).sort()).toEqual(['/after', '/during']);

      // Stopping the server flushes what the batch processor still holds.
      await app.stop();
      const spans = otlp.spans.filter((s) => s.service === 'callwright-e2e');
      const root = spans.find((s) => s.name === 'call');
      expect(root, JSON.stringify(spans.map((s) => s.name))).toBeDefined();
      const trace = spans.filter((s) => s.traceId === root!.traceId);
      const byId = new Map(trace.map((s) => [s.spanId, s]));
      const parentOf = (s: ReceivedSpan): ReceivedSpan | undefined => byId.get(s.parentSpanId);

      expect(root!.parentSpanId).toBe('');
      expect(root!.attributes).toMatchObject({
        'callwright.call.id': callId,
        'callwright.call.direction': 'inbound',
        'callwright.agent.id': agentId,
        'callwright.telephony.backend': 'embedded',
        'callwright.call.outcome': call.outcome,
      });

      const actions = trace.filter((s) => s.name === 'action');
      const during = actions.find((s) => s.attributes['callwright.action.stage'] === 'during');
      const after = actions.find((s) => s.attributes['callwright.action.stage'] === 'after');
      expect(during?.attributes).toMatchObject({
        'callwright.action.type': 'webhook',
        'callwright.action.name': 'on_answer',
        'callwright.action.trigger': 'event:answered',
        'callwright.action.status': 'succeeded',
      });
      expect(parentOf(during!)).toBe(root);
      // After the call: the outbox row stored the call's traceparent; its delivery continues the trace.
      const delivery = parentOf(after!);
      expect(delivery?.name).toBe('outbox.deliver');
      expect(delivery?.attributes).toMatchObject({
        'callwright.outbox.kind': 'action',
        'callwright.call.id': callId,
      });
      expect(parentOf(delivery!)).toBe(root);

      // Each webhook POST is a client span of its run, and the receiver saw that span as its parent.
      for (const [path, run] of [
        ['/during', during!],
        ['/after', after!],
      ] as const) {
        const header = String(webhooks.requests.find((r) => r.url === path)?.headers.traceparent ?? '');
        const [, traceId, parentId] = TRACEPARENT.exec(header) ?? [];
        expect(traceId, `${path} traceparent ${header}`).toBe(root!.traceId);
        const client = byId.get(parentId!);
        expect(client).toMatchObject({ name: 'POST', kind: 3 });
        expect(client?.attributes).toMatchObject({
          'http.request.method': 'POST',
          'http.response.status_code': 200,
        });
        expect(parentOf(client!)).toBe(run);
      }

      // No phone numbers in any span (the caller's and the dialled number are PII).
      const numbers = [call.from_number, call.to_number].filter((n) => n.length >= 3);
      for (const s of trace)
        for (const v of Object.values(s.attributes))
          for (const n of numbers) expect(String(v), `${s.name} attribute`).not.toContain(n);
    } finally {
      await app.stop().catch(() => undefined);
    }
  }, 90_000);

  it('with tracing off, exports nothing and sends no traceparent', async () => {
    const before = otlp.requests;
    webhooks.requests.length = 0;
    // The endpoint is set, but tracing.enabled is false: nothing may reach it.
    const app = await startAcceptanceServer(BASE, overrides({ enabled: false, otlp_endpoint: otlp.url }, 1));
    try {
      await setup(app, webhooks);
      await placeCall(app);
      await until(() => webhooks.requests.some((r) => r.url === '/after'), 20_000);
    } finally {
      await app.stop();
    }
    expect(webhooks.requests.map((r) => r.url).sort()).toEqual(['/after', '/during']);
    for (const r of webhooks.requests) expect(r.headers.traceparent).toBeUndefined();
    expect(otlp.requests).toBe(before);
  }, 90_000);
});
