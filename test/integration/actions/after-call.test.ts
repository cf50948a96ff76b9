import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { engineFixture } from './engine-fixture.js';
import { createOutboxWorker } from '../../../src/delivery/outbox-service.js';
import type { OutboxRepository } from '../../../src/delivery/outbox-repository.js';

let fx: Awaited<ReturnType<typeof engineFixture>>;
let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  await fx?.cleanup();
});

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The status of each outbox row, in the order given. */
async function statuses(
  repository: OutboxRepository,
  ids: readonly number[],
): Promise<Array<string | undefined>> {
  const out: Array<string | undefined> = [];
  for (const id of ids) out.push((await repository.get(id))?.status);
  return out;
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
    fx = await engineFixture();
    await fx.attach('book', 'test-echo', { text: 'booked', slot: '{{ collected.slot }}' }, 'after');
    await fx.attach('sms', 'test-echo', { text: 'See you {{ actions.book.slot }}' }, 'after');
    await fx.attach(
      'crm',
      'test-echo',
      { text: '{{ actions.sms.text }} / {{ actions.note.text }}' },
      'after',
    );
    await fx.attach('note', 'test-echo', { text: 'during note' }, 'during');
    await fx.attach('on_vip', 'test-echo', { text: 'vip' }, 'after', {
      triggers: [{ kind: 'condition', expression: 'contact.tags has "vip"' }],
    });
    const call = await fx.call();
    const s = await fx.engine.session({
      agentId: fx.agent.id,
      callId: call.id,
      collected: { slot: 'Tue 10:00' },
    });
    await s.runStage('during');
    const ended = await fx.engine.endCall(s, { endReason: 'caller hung up' });
    expect(ended.queued).toHaveLength(3);
    expect(await fx.store.calls.require(call.id)).toMatchObject({
      state: 'ended',
      end_reason: 'caller hung up',
      call_disposition: 'no-disposition',
    });
    // Queued, visible in history before delivery.
    expect((await fx.engine.history.list({ callId: call.id, status: 'queued' })).total).toBe(3);
    const { worker: w, repository } = worker();
    w.start();
    await until(async () => (await statuses(repository, ended.queued)).every((s) => s === 'delivered'));
    expect(fx.log.map((l) => [l.name, l.config.text])).toEqual([
      ['note', 'during note'],
      ['book', 'booked'],
      ['sms', 'See you Tue 10:00'],
      ['crm', 'See you Tue 10:00 / during note'],
    ]);
    const runs = (await fx.engine.history.list({ callId: call.id })).items.filter((r) => r.stage === 'after');
    // The idempotency key is the run's: the call and the `book` run's history row.
    const bookId = (await fx.store.actions.findBy('name', 'book'))!.id;
    expect(fx.log[1]?.key).toBe(`${call.id}:${runs.find((r) => r.action_id === bookId)!.id}`);
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('retries a failing after-call action per its policy; abort dead-letters the rest of the chain', async () => {
    fx = await engineFixture();
    await fx.attach('flaky', 'test-flaky', { failures: 1 }, 'after', { failure_policy: { retries: 2 } });
    await fx.attach('broken', 'test-flaky', { failures: 9 }, 'after', {
      failure_policy: { retries: 1, on_failure: 'abort' },
    });
    await fx.attach('skipped', 'test-echo', { text: 'x' }, 'after');
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    const { queued } = await fx.engine.endCall(s);
    const { worker: w, repository } = worker();
    w.start();
    await until(async () =>
      (await statuses(repository, queued)).every((s) => s === 'delivered' || s === 'dead'),
    );
    expect(await statuses(repository, queued)).toEqual(['delivered', 'dead', 'dead']);
    expect((await repository.get(queued[0]!))!.attempts).toBe(2);
    expect(await repository.get(queued[1]!)).toMatchObject({
      attempts: 2,
      max_attempts: 2,
      last_error: 'UPSTREAM: attempt 2 failed',
    });
    expect((await repository.get(queued[2]!))!.last_error).toMatch(/not attempted: .* aborts the stage/);
    expect(fx.log.filter((l) => l.name === 'skipped')).toEqual([]);
    const failed = (await fx.engine.history.list({ status: 'failed' })).items;
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ attempts: 2, error: 'UPSTREAM: attempt 2 failed' });
  });

  it('a disabled definition queued before being disabled is skipped, not run', async () => {
    fx = await engineFixture();
    const { def } = await fx.attach('later', 'test-echo', { text: 'x' }, 'after');
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    const { queued } = await fx.engine.endCall(s);
    await fx.engine.definitions.setEnabled(def.id, false);
    const { worker: w, repository } = worker();
    w.start();
    await until(async () => (await repository.get(queued[0]!))?.status === 'delivered');
    expect(fx.log).toEqual([]);
    expect((await fx.engine.history.list({ actionId: def.id })).items[0]?.status).toBe('skipped');
  });
});
