import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { engineFixture } from './engine-fixture.js';
import { createOutboxWorker } from '../../../src/delivery/outbox-service.js';

let fx: ReturnType<typeof engineFixture>;
let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  fx?.cleanup();
});

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function worker() {
  const { worker, repository } = createOutboxWorker({
    store: fx.store,
    logger: pino({ level: 'silent' }),
    handlers: [fx.engine.deliveryHandler()],
    settings: {
      poll_interval_ms: 10,
      lease_ms: 5000,
      max_attempts: 3,
      backoff_base_ms: 5,
      backoff_max_ms: 20,
      concurrency: 8,
      delivery_timeout_ms: 2000,
    },
  });
  stop = () => worker.stop();
  return { worker, repository };
}

describe('after-call stage through the outbox', () => {
  it('queues after-call actions with the call end in one transaction and delivers them in order, outputs chained', async () => {
    fx = engineFixture();
    fx.attach('book', 'test-echo', { text: 'booked', slot: '{{ collected.slot }}' }, 'after');
    fx.attach('sms', 'test-echo', { text: 'See you {{ actions.book.slot }}' }, 'after');
    fx.attach('crm', 'test-echo', { text: '{{ actions.sms.text }} / {{ actions.note.text }}' }, 'after');
    fx.attach('note', 'test-echo', { text: 'during note' }, 'during');
    fx.attach('on_vip', 'test-echo', { text: 'vip' }, 'after', {
      triggers: [{ kind: 'condition', expression: 'contact.tags has "vip"' }],
    });
    const call = fx.call();
    const s = fx.engine.session({ agentId: fx.agent.id, callId: call.id, collected: { slot: 'Tue 10:00' } });
    await s.runStage('during');
    const ended = fx.engine.endCall(s, { endReason: 'caller hung up' });
    expect(ended.queued).toHaveLength(3);
    expect(fx.store.calls.require(call.id)).toMatchObject({
      state: 'ended',
      end_reason: 'caller hung up',
      call_disposition: 'no-disposition',
    });
    // Queued, visible in history before delivery.
    expect(fx.engine.history.list({ callId: call.id, status: 'queued' }).total).toBe(3);
    const { worker: w, repository } = worker();
    w.start();
    await until(() => ended.queued.every((id) => repository.get(id)?.status === 'delivered'));
    expect(fx.log.map((l) => [l.name, l.config.text])).toEqual([
      ['note', 'during note'],
      ['book', 'booked'],
      ['sms', 'See you Tue 10:00'],
      ['crm', 'See you Tue 10:00 / during note'],
    ]);
    const runs = fx.engine.history.list({ callId: call.id }).items.filter((r) => r.stage === 'after');
    // The idempotency key is the run's: the call and the `book` run's history row.
    const bookId = fx.store.actions.findBy('name', 'book')!.id;
    expect(fx.log[1]?.key).toBe(`${call.id}:${runs.find((r) => r.action_id === bookId)!.id}`);
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('retries a failing after-call action per its policy; abort dead-letters the rest of the chain', async () => {
    fx = engineFixture();
    fx.attach('flaky', 'test-flaky', { failures: 1 }, 'after', { failure_policy: { retries: 2 } });
    fx.attach('broken', 'test-flaky', { failures: 9 }, 'after', {
      failure_policy: { retries: 1, on_failure: 'abort' },
    });
    fx.attach('skipped', 'test-echo', { text: 'x' }, 'after');
    const s = fx.engine.session({ agentId: fx.agent.id, callId: fx.call().id });
    const { queued } = fx.engine.endCall(s);
    const { worker: w, repository } = worker();
    w.start();
    await until(() => queued.every((id) => ['delivered', 'dead'].includes(repository.get(id)!.status)));
    expect(queued.map((id) => repository.get(id)!.status)).toEqual(['delivered', 'dead', 'dead']);
    expect(repository.get(queued[0]!)!.attempts).toBe(2);
    expect(repository.get(queued[1]!)).toMatchObject({
      attempts: 2,
      max_attempts: 2,
      last_error: 'UPSTREAM: attempt 2 failed',
    });
    expect(repository.get(queued[2]!)!.last_error).toMatch(/not attempted: .* aborts the stage/);
    expect(fx.log.filter((l) => l.name === 'skipped')).toEqual([]);
    const failed = fx.engine.history.list({ status: 'failed' }).items;
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ attempts: 2, error: 'UPSTREAM: attempt 2 failed' });
  });

  it('a disabled definition queued before being disabled is skipped, not run', async () => {
    fx = engineFixture();
    const { def } = fx.attach('later', 'test-echo', { text: 'x' }, 'after');
    const s = fx.engine.session({ agentId: fx.agent.id, callId: fx.call().id });
    const { queued } = fx.engine.endCall(s);
    fx.engine.definitions.setEnabled(def.id, false);
    const { worker: w, repository } = worker();
    w.start();
    await until(() => repository.get(queued[0]!)?.status === 'delivered');
    expect(fx.log).toEqual([]);
    expect(fx.engine.history.list({ actionId: def.id }).items[0]?.status).toBe('skipped');
  });
});
