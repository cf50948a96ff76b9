import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture } from './engine-fixture.js';

let fx: Awaited<ReturnType<typeof engineFixture>>;
afterEach(() => fx?.cleanup());

function ran() {
  return fx.log.map((l) => l.name);
}

describe('triggers', () => {
  it('tool: fires on a call with valid arguments, not on bad arguments or another name', async () => {
    fx = await engineFixture();
    await fx.attach('lookup_order', 'test-echo', { text: 'x' }, 'during', { triggers: [{ kind: 'tool' }] });
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    expect(s.tools()).toEqual([
      {
        name: 'lookup_order',
        description: 'Returns its rendered config as outputs',
        parameters: expect.objectContaining({
          type: 'object',
          properties: { n: expect.objectContaining({ type: 'integer' }) },
        }),
      },
    ]);
    const bad = await s.callTool('lookup_order', { n: 'three' });
    expect(bad).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION', message: 'args.n: expected integer' },
    });
    expect(await s.callTool('other', {})).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(ran()).toEqual([]);
    expect(await s.callTool('lookup_order', { n: 3 })).toMatchObject({ ok: true, outputs: { n: 3 } });
    expect(ran()).toEqual(['lookup_order']);
    // A tool-only attachment does not run at stage entry.
    await s.runStage('during');
    expect(ran()).toEqual(['lookup_order']);
  });

  it('intent: fires on a final caller line containing a phrase; not on partials, agent lines or other words', async () => {
    fx = await engineFixture();
    await fx.attach('human', 'test-echo', { text: 'x' }, 'during', {
      triggers: [{ kind: 'intent', phrases: ['talk to a human', 'real person'] }],
    });
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    await s.handleEvent({ type: 'transcript', text: 'can I talk to a human', final: false });
    await s.handleEvent({ type: 'transcript', text: 'Would you like to talk to a human?', speaker: 'agent' });
    await s.handleEvent({ type: 'transcript', text: 'I like humans' });
    expect(ran()).toEqual([]);
    const r = await s.handleEvent({ type: 'transcript', text: 'Please, a REAL person!', final: true });
    expect(r.runs[0]?.firedBy).toEqual({
      kind: 'intent',
      phrase: 'real person',
      line: 'Please, a REAL person!',
    });
    expect(ran()).toEqual(['human']);
  });

  it('dtmf: digits and patterns fire on the keys pressed; other keys do not', async () => {
    fx = await engineFixture();
    await fx.attach('press1', 'test-echo', { text: 'x' }, 'during', {
      triggers: [{ kind: 'dtmf', digits: '1' }],
    });
    await fx.attach('pin', 'test-echo', { text: 'x' }, 'during', {
      triggers: [{ kind: 'dtmf', pattern: 'XXXX#' }],
    });
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    await s.handleEvent({ type: 'dtmf', digits: '2' });
    expect(ran()).toEqual([]);
    await s.handleEvent({ type: 'dtmf', digits: '1' });
    expect(ran()).toEqual(['press1']);
    for (const d of '9876') await s.handleEvent({ type: 'dtmf', digits: d });
    expect(ran()).toEqual(['press1']);
    await s.handleEvent({ type: 'dtmf', digits: '#' });
    expect(ran()).toEqual(['press1', 'pin']);
  });

  it('condition: fires at stage entry when contact memory matches, not otherwise', async () => {
    fx = await engineFixture();
    await fx.attach('vip_greeting', 'test-echo', { text: 'x' }, 'before', {
      triggers: [
        { kind: 'condition', expression: 'contact.tags has "vip" and contact.plan == "enterprise"' },
      ],
    });
    const vip = await fx.store.contacts.create({ phone: '+14155550101', properties: { plan: 'enterprise' } });
    const other = await fx.store.contacts.create({
      phone: '+14155550102',
      properties: { plan: 'enterprise' },
    });
    await fx.engine.contacts.addTags(vip.id, ['VIP']);
    const otherCall = await fx.call('+14155550102', other.id);
    const otherSession = await fx.engine.session({
      agentId: fx.agent.id,
      callId: otherCall.id,
      contactId: other.id,
    });
    await otherSession.runStage('before');
    expect(ran()).toEqual([]);
    const vipCall = await fx.call('+14155550101', vip.id);
    const vipSession = await fx.engine.session({
      agentId: fx.agent.id,
      callId: vipCall.id,
      contactId: vip.id,
    });
    await vipSession.runStage('before');
    expect(ran()).toEqual(['vip_greeting']);
  });

  it('condition: a run fired by a condition records that condition as its trigger', async () => {
    fx = await engineFixture();
    const expression = 'contact.tags has "vip"';
    await fx.attach('vip_greeting', 'test-echo', { text: 'x' }, 'during', {
      triggers: [{ kind: 'condition', expression }],
    });
    const vip = await fx.store.contacts.create({ phone: '+14155550103' });
    await fx.engine.contacts.addTags(vip.id, ['vip']);
    const call = await fx.call('+14155550103', vip.id);
    const session = await fx.engine.session({ agentId: fx.agent.id, callId: call.id, contactId: vip.id });
    const r = await session.runStage('during');
    expect(r.runs.map((x) => x.firedBy)).toEqual([{ kind: 'condition', expression }]);
    expect((await fx.engine.history.list({ callId: call.id })).items[0]?.trigger).toEqual({
      kind: 'condition',
      expression,
    });
  });

  it('event: fires on its call event only', async () => {
    fx = await engineFixture();
    await fx.attach('on_answer', 'test-echo', { text: 'x' }, 'during', {
      triggers: [{ kind: 'event', event: 'answered' }],
    });
    await fx.attach('on_transfer_failed', 'test-echo', { text: 'x' }, 'during', {
      triggers: [
        { kind: 'event', event: 'transfer-failed' },
        { kind: 'dtmf', digits: '0' },
      ],
    });
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    await s.handleEvent({ type: 'voicemail-left' });
    expect(ran()).toEqual([]);
    await s.handleEvent({ type: 'answered' });
    expect(s.phase).toBe('answered');
    await s.handleEvent({ type: 'transfer-failed' });
    await s.handleEvent({ type: 'dtmf', digits: '0' });
    expect(ran()).toEqual(['on_answer', 'on_transfer_failed', 'on_transfer_failed']);
  });

  it('refuses triggers that cannot fire at the stage, naming the field', async () => {
    fx = await engineFixture();
    const { validateAttachment } = await import('../../../src/actions/agent-plan.js');
    const def = await fx.engine.definitions.create({
      name: 'echo',
      type: 'test-echo',
      config: { text: 'x' },
    });
    await expect(
      validateAttachment(fx.store, fx.registry, {
        action_id: def.id,
        stage: 'before',
        triggers: [{ kind: 'dtmf', digits: '1' }],
      }),
    ).rejects.toThrow(/triggers\.0\.kind/);
    await expect(
      validateAttachment(fx.store, fx.registry, {
        action_id: 'echo',
        stage: 'during',
        triggers: [{ kind: 'condition', expression: 'contact.plan ==' }],
      }),
    ).rejects.toThrow(/triggers\.0\.expression/);
    await expect(
      validateAttachment(fx.store, fx.registry, {
        action_id: 'echo',
        stage: 'during',
        failure_policy: { on_failure: 'fallback' },
      }),
    ).rejects.toThrow(/failure_policy\.fallback_message/);
  });
});
