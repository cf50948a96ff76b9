import { afterEach, describe, expect, it } from 'vitest';
import { tempStore } from '../../../helpers/temp.js';
import { resolveTarget } from '../../../../src/calls/targets/target-resolver.js';
import { dialTarget } from '../../../../src/calls/targets/dial-target.js';
import { FakeTelephony } from '../../../helpers/fake-port.js';
import { CallwrightError } from '../../../../src/errors.js';

let t: ReturnType<typeof tempStore>;
afterEach(() => t?.cleanup());

async function directory() {
  t = tempStore();
  const { store } = t;
  const alice = await store.users.create({ name: 'alice', sip_uri: 'sip:alice@pbx.example' });
  const bob = await store.users.create({ name: 'bob', phone: '+14155550102' });
  const carol = await store.users.create({ name: 'carol', sip_uri: 'sip:carol@pbx.example' });
  await store.users.create({ name: 'nobody' });
  const seq = await store.ringGroups.create({
    name: 'support',
    strategy: 'sequential',
    member_timeout_secs: 20,
  });
  await store.ringGroupMembers.replace(seq.id, [{ user_id: alice.id, timeout_secs: 1 }, { user_id: bob.id }]);
  const sim = await store.ringGroups.create({
    name: 'sales-floor',
    strategy: 'simultaneous',
    member_timeout_secs: 15,
  });
  await store.ringGroupMembers.replace(sim.id, [{ user_id: alice.id }, { user_id: carol.id }]);
  const line = await store.lines.create({ name: 'front-desk', target: 'sip:desk@pbx.example' });
  const agent = await store.agents.create({
    name: 'demo',
    kind: 'scripted',
    targets: {
      sales: { type: 'ring_group', id: sim.id },
      support: { type: 'ring_group', id: seq.id },
      billing: { type: 'number', number: '+14155550123' },
      desk: { type: 'line', id: line.id },
      boss: { type: 'user', id: alice.id },
    },
  });
  return { store, agent, alice, bob, seq, sim, line };
}

describe('target resolution', () => {
  it('resolves numbers, SIP URIs, users, lines and ring groups by id or name', async () => {
    const { store, alice, seq } = await directory();
    expect(await resolveTarget(store, '+14155550100')).toEqual({
      kind: 'single',
      label: '+14155550100',
      member: { label: '+14155550100', dial: '+14155550100' },
    });
    expect(await resolveTarget(store, 'sip:x@example.com')).toMatchObject({
      member: { dial: 'sip:x@example.com' },
    });
    expect(await resolveTarget(store, `user:${alice.id}`)).toMatchObject({
      label: 'user alice',
      member: { dial: 'sip:alice@pbx.example' },
    });
    expect(await resolveTarget(store, 'user:bob')).toMatchObject({ member: { dial: '+14155550102' } });
    expect(await resolveTarget(store, 'line:front-desk')).toMatchObject({
      label: 'line front-desk',
      member: { dial: 'sip:desk@pbx.example' },
    });
    expect(await resolveTarget(store, `ring_group:${seq.id}`)).toEqual({
      kind: 'group',
      label: 'ring group support',
      strategy: 'sequential',
      members: [
        { label: 'user alice', dial: 'sip:alice@pbx.example', timeoutMs: 1000 },
        { label: 'user bob', dial: '+14155550102', timeoutMs: 20000 },
      ],
    });
  });

  it("resolves the agent's named targets (sales, support, billing)", async () => {
    const { store, agent } = await directory();
    expect(await resolveTarget(store, 'sales', { agentId: agent.id })).toMatchObject({
      kind: 'group',
      label: 'sales (ring group sales-floor)',
      strategy: 'simultaneous',
    });
    expect(await resolveTarget(store, 'target:support', { agentId: agent.id })).toMatchObject({
      strategy: 'sequential',
    });
    expect(await resolveTarget(store, 'billing', { agentId: agent.id })).toMatchObject({
      label: 'billing (+14155550123)',
      member: { dial: '+14155550123' },
    });
    expect(await resolveTarget(store, 'desk', { agentId: agent.id })).toMatchObject({
      member: { dial: 'sip:desk@pbx.example' },
    });
  });

  it.each([
    ['user:zed', /target "user:zed": no user with id or name "zed"/],
    ['user:nobody', /user nobody has neither a sip_uri nor a phone number/],
    ['ring_group:none', /no ring group with id or name "none"/],
    ['line:none', /no line with id or name "none"/],
    ['marketing', /no named target "marketing" on the agent \(known: sales, support, billing, desk, boss\)/],
    ['', /is empty/],
    ['+0123', /neither a valid E.164 number nor a SIP URI/],
    ['mailto:x@y', /not a recognised target form/],
  ])('refuses %j with a message naming it', async (ref, message) => {
    const { store, agent } = await directory();
    let err: unknown;
    try {
      await resolveTarget(store, ref, { agentId: agent.id });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CallwrightError);
    expect((err as CallwrightError).message).toMatch(message);
    expect((err as CallwrightError).issues[0]).toMatchObject({ field: 'target', value: ref });
  });
});

describe('dialTarget', () => {
  it('in order: the first member rings out its own timeout, the second answers', async () => {
    const { store } = await directory();
    const tel = new FakeTelephony()
      .script('sip:alice@pbx.example', { neverAnswer: true })
      .script('+14155550102', { answerAfterMs: 10 });
    const r = await dialTarget(tel, await resolveTarget(store, 'ring_group:support'), {
      callerId: '+14155550100',
    });
    expect(r.outcome).toBe('answered');
    if (r.outcome !== 'answered') return;
    expect(r.member).toBe('user bob');
    expect(r.attempts).toEqual([
      { member: 'user alice', outcome: 'no-answer', status: 487 },
      { member: 'user bob', outcome: 'answered' },
    ]);
    expect(tel.dials.map((d) => [d.target, d.ringTimeoutMs, d.callerId])).toEqual([
      ['sip:alice@pbx.example', 1000, '+14155550100'],
      ['+14155550102', 20000, '+14155550100'],
    ]);
  });

  it('simultaneous: all ring, the first answer wins and the others are cancelled', async () => {
    const { store } = await directory();
    const tel = new FakeTelephony()
      .script('sip:alice@pbx.example', { answerAfterMs: 200 })
      .script('sip:carol@pbx.example', { answerAfterMs: 20 });
    const r = await dialTarget(tel, await resolveTarget(store, 'ring_group:sales-floor'));
    expect(r).toMatchObject({ outcome: 'answered', member: 'user carol' });
    expect(r.attempts).toEqual([
      { member: 'user alice', outcome: 'cancelled' },
      { member: 'user carol', outcome: 'answered' },
    ]);
    expect(tel.answered).toHaveLength(1);
  });

  it('a failure says what each member did, the most telling reason first', async () => {
    const { store } = await directory();
    const tel = new FakeTelephony()
      .script('sip:alice@pbx.example', { fail: { outcome: 'rejected', status: 603 } })
      .script('sip:carol@pbx.example', { fail: { outcome: 'busy', status: 486 }, afterMs: 5 });
    const r = await dialTarget(tel, await resolveTarget(store, 'ring_group:sales-floor'));
    expect(r).toEqual({
      outcome: 'failed',
      reason: 'busy',
      status: 486,
      attempts: [
        { member: 'user alice', outcome: 'rejected', status: 603 },
        { member: 'user carol', outcome: 'busy', status: 486 },
      ],
    });
  });

  it('a backend that throws (unknown trunk) counts as a failed member', async () => {
    const { store } = await directory();
    const tel = new FakeTelephony();
    tel.dial = () => Promise.reject(new Error('trunk: got "x", expected one of: carrier'));
    const r = await dialTarget(tel, await resolveTarget(store, '+14155550100'));
    expect(r).toMatchObject({
      outcome: 'failed',
      reason: 'failed',
      attempts: [{ outcome: 'failed', error: expect.stringMatching(/trunk/) }],
    });
  });

  it('stops ringing when the caller goes away (signal)', async () => {
    const { store } = await directory();
    const tel = new FakeTelephony().script('sip:alice@pbx.example', { neverAnswer: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const r = await dialTarget(tel, await resolveTarget(store, 'ring_group:support'), {
      signal: controller.signal,
    });
    expect(r).toMatchObject({ outcome: 'failed', reason: 'cancelled' });
    expect(tel.dials).toHaveLength(1);
  });
});
