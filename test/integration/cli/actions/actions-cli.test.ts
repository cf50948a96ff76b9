import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { cliHarness } from '../cli-harness.js';
import { OutboxQueue } from '../../../../src/delivery/outbox-queue.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../../fixtures/actions');
let h: ReturnType<typeof cliHarness>;
beforeEach(() => {
  h = cliHarness();
});
afterEach(() => h.cleanup());

describe('callwright agents import', () => {
  it('imports an agent with its actions, converting [brackets]; importing again changes nothing', async () => {
    const first = await h.run('agents', 'import', path.join(FIXTURES, 'agent-support.yaml'));
    expect(first.err).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.out[0]).toMatch(/^agent support \(agt_\w+\): created$/);
    expect(first.out.filter((l) => l.endsWith('created'))).toHaveLength(9);
    const store = h.openStore();
    const snapshot = async () =>
      JSON.stringify([await store.agents.all(), await store.actions.all(), await store.attachments.all()]);
    const before = await snapshot();
    expect((await store.actions.findBy('name', 'greet_vip'))?.config).toEqual({
      text: 'Welcome back {{ contact.first_name | default: "there" }}, you are a priority caller.',
    });
    expect((await store.actions.findBy('name', 'do_not_call'))?.config).toEqual({
      number: '{{ call.remote }}',
      reason: 'asked on a call to {{ call.to }}',
    });
    const again = await h.run('agents', 'import', path.join(FIXTURES, 'agent-support.yaml'));
    expect(again.code).toBe(0);
    expect(again.out.every((l) => l.endsWith('unchanged'))).toBe(true);
    expect(await snapshot()).toBe(before);
    await store.close();
    const listed = await h.run('actions', 'list');
    expect(listed.out.map((l) => l.split('\t')[1])).toEqual([
      'dispose',
      'do_not_call',
      'greet_vip',
      'tag_callback',
    ]);
  });

  it('refuses an invalid file naming the field, and writes nothing', async () => {
    const bad = path.join(h.dir, 'bad.yaml');
    writeFileSync(
      bad,
      'agent: { name: x, kind: scripted }\nactions:\n  - name: t\n    type: add-contact-tags\n    config: { tags: [] }\n',
    );
    const res = await h.run('agents', 'import', bad);
    expect(res.code).toBe(1);
    expect(res.err[0]).toContain('actions.0.config.tags');
    const store = h.openStore();
    expect(await store.agents.all()).toEqual([]);
    await store.close();
  });

  it('imports call-flow actions (transfer, voicemail), which the call layer provides', async () => {
    const file = path.join(h.dir, 'flows.yaml');
    writeFileSync(
      file,
      [
        'agent: { name: desk, kind: scripted }',
        'actions:',
        '  - { name: to_sales, type: cold-transfer, config: { target: "sip:sales@pbx.example" } }',
        '  - { name: take_message, type: leave-voicemail, config: { notify_to: [team@example.com] } }',
        '',
      ].join('\n'),
    );
    const res = await h.run('agents', 'import', file);
    expect(res.err).toEqual([]);
    expect(res.code).toBe(0);
    const store = h.openStore();
    expect((await store.actions.all()).map((a) => a.type).sort()).toEqual([
      'cold-transfer',
      'leave-voicemail',
    ]);
    await store.close();
  });
});

describe('callwright simulate', () => {
  it('prints the actions that would fire, in order, rendered, without side effects', async () => {
    await h.run('agents', 'import', path.join(FIXTURES, 'agent-support.yaml'));
    const res = await h.run('simulate', 'support', '--script', path.join(FIXTURES, 'script-vip.yaml'));
    expect(res.err).toEqual([]);
    const out = parse(res.out.join('\n')) as { runs: Array<Record<string, unknown>>; say: string[] };
    expect(out.runs.map((r) => [r.step, r.action, r.status])).toEqual([
      [1, 'greet_vip', 'succeeded'],
      [2, 'tag_callback', 'succeeded'],
      [4, 'dispose', 'succeeded'],
      [5, 'do_not_call', 'succeeded'],
    ]);
    expect(out.say).toEqual(['Welcome back Ada, you are a priority caller.']);
    expect(out.runs[3]).toMatchObject({
      payload: { number: '+14155550100', reason: 'asked on a call to +14155550199' },
    });
    const store = h.openStore();
    expect(await store.contacts.all()).toEqual([]);
    expect(store.db.prepare('SELECT count(*) AS n FROM action_runs').get()).toEqual({ n: 0 });
    await store.close();
  });
});

describe('callwright outbox', () => {
  it('lists rows and replays dead ones', async () => {
    const store = h.openStore();
    const q = new OutboxQueue(store.sql, { maxAttempts: 2 });
    const id = await q.enqueue({
      idempotencyKey: 'call_1:act_1',
      kind: 'http',
      payload: { url: 'http://127.0.0.1:9/hook', body: null },
    });
    store.db
      .prepare(`UPDATE outbox SET status = 'dead', attempts = 2, last_error = 'HTTP 500' WHERE id = ?`)
      .run(id);
    await store.close();
    const list = await h.run('outbox', 'list', '--status', 'dead');
    expect(list.out).toEqual([`${id}\tdead\thttp\t2/2\tcall_1:act_1\tHTTP 500`]);
    expect((await h.run('outbox', 'replay', String(id))).out[0]).toMatch(/pending$/);
    expect((await h.run('outbox', 'replay', String(id))).code).toBe(1);
    expect((await h.run('outbox', 'replay', '--all-dead')).out).toEqual(['replayed 0 dead row(s)']);
    expect((await h.run('outbox', 'list', '--status', 'nope')).code).toBe(1);
  });
});
