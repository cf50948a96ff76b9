import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHttpReceiver, type HttpReceiver } from '../../helpers/http-receiver.js';
import { integrationFixture } from '../integrations/integration-fixture.js';

let rx: HttpReceiver;
let fx: Awaited<ReturnType<typeof integrationFixture>>;

beforeEach(async () => {
  rx = await startHttpReceiver();
  fx = await integrationFixture();
});

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
afterEach(async () => {
  await fx.cleanup();
  await rx.close();
});

const ids = (): string[] => rx.requests.map((r) => String(r.headers['webhook-id']));
const keys = (): string[] => rx.requests.map((r) => String(r.headers['idempotency-key']));

describe('idempotency keys are per run', () => {
  it('the same webhook action fired twice in one call sends two different webhook-ids', async () => {
    await fx.attach('notify', 'webhook', { url: `${rx.url}/hook` }, 'during', {
      triggers: [{ kind: 'tool' }],
    });
    const call = await fx.call();
    const session = await fx.engine.session({ agentId: fx.agent.id, callId: call.id, from: '+14155550100' });

    expect((await session.callTool('notify')).ok).toBe(true);
    expect((await session.callTool('notify')).ok).toBe(true);

    expect(rx.requests).toHaveLength(2);
    const [first, second] = ids();
    expect(first).toMatch(/^msg_/);
    expect(second).not.toBe(first);
    const [k1, k2] = keys();
    expect(k1).not.toBe(k2);
    // Each key names its run: the history rows of the two runs.
    const runs = (await fx.engine.history.list({ callId: call.id })).items;
    expect(new Set(keys())).toEqual(new Set(runs.map((r) => `${call.id}:${r.id}`)));
  });

  it('one in-call run retried sends the same webhook-id on each attempt', async () => {
    rx.respond((_req, i) => (i === 0 ? { status: 503, body: 'busy' } : { status: 200, body: {} }));
    await fx.attach('notify', 'webhook', { url: `${rx.url}/hook` }, 'during', {
      triggers: [{ kind: 'tool' }],
      failure_policy: { retries: 2, backoff_ms: 10, backoff_max_ms: 20 },
    });
    const call = await fx.call();
    const session = await fx.engine.session({ agentId: fx.agent.id, callId: call.id, from: '+14155550100' });

    expect((await session.callTool('notify')).ok).toBe(true);

    expect(rx.requests).toHaveLength(2);
    const [first, second] = ids();
    expect(second).toBe(first);
    expect(new Set(keys()).size).toBe(1);
  });

  it('an after-call run redelivered and then replayed from the dead letter keeps its webhook-id', async () => {
    // Attempt 1 fails (retried), attempt 2 fails (last attempt: dead), replayed attempt succeeds.
    rx.respond((_req, i) => (i < 2 ? { status: 500, body: 'oops' } : { status: 200, body: {} }));
    await fx.attach('hook', 'webhook', { url: `${rx.url}/after` }, 'after', {
      failure_policy: { retries: 1 },
    });
    const call = await fx.call();
    const session = await fx.engine.session({ agentId: fx.agent.id, callId: call.id, from: '+14155550100' });
    const ended = await fx.engine.endCall(session, { endReason: 'caller hung up' });
    const id = ended.queued[0]!;
    const { worker, repository } = fx.worker();
    worker.start();
    await until(async () => (await repository.get(id))?.status === 'dead');
    await repository.replay(id);
    worker.kick();
    await until(async () => (await repository.get(id))?.status === 'delivered');

    expect(rx.requests).toHaveLength(3);
    expect(new Set(ids()).size).toBe(1);
    const run = (await fx.engine.history.list({ callId: call.id })).items[0]!;
    expect(keys()[0]).toBe(`${call.id}:${run.id}`);
  });
});
