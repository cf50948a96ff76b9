import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture } from './engine-fixture.js';
import { CallwrightError } from '../../../src/errors.js';
import { simulate } from '../../../src/agent/simulation.js';
import type { CallState } from '../../../src/actions/action-type.js';
import { assertCallable } from '../../../src/contacts/dnc-guard.js';

let fx: Awaited<ReturnType<typeof engineFixture>>;
afterEach(() => fx?.cleanup());

/** The DNC guard's verdict, settled whether the guard answers at once or asynchronously. */
const callable = async (number: string, channel: 'call' | 'sms'): Promise<void> => {
  await assertCallable(fx.store, number, channel);
};

describe('local action types', () => {
  it('update property, add/remove tags, add to list, contact disposition, custom reply', async () => {
    fx = await engineFixture();
    const contact = await fx.store.contacts.create({ phone: '+14155550111', first_name: 'Ada' });
    await fx.attach('plan', 'update-contact-property', { property: 'plan', value: 'gold' }, 'during');
    await fx.attach('tag', 'add-contact-tags', { tags: ['vip', 'callback'] }, 'during');
    await fx.attach('untag', 'remove-contact-tags', { tags: ['callback'] }, 'during');
    await fx.attach('list', 'add-to-list', { list: 'q4-campaign' }, 'during');
    await fx.attach('dispo', 'contact-disposition', { disposition: 'interested' }, 'during');
    await fx.attach(
      'reply',
      'custom-reply',
      { text: 'Thanks {{ contact.first_name }}, you are now {{ contact.plan }}.' },
      'during',
    );
    const call = await fx.call('+14155550111', contact.id);
    const s = await fx.engine.session({
      agentId: fx.agent.id,
      callId: call.id,
      contactId: contact.id,
      from: contact.phone,
    });
    const r = await s.runStage('during');
    expect(r.runs.every((x) => x.status === 'succeeded')).toBe(true);
    expect(r.say).toEqual(['Thanks Ada, you are now gold.']);
    const view = (await fx.engine.contacts.viewById(contact.id))!;
    expect(view).toMatchObject({
      plan: 'gold',
      tags: ['vip'],
      lists: ['q4-campaign'],
      disposition: 'interested',
    });
    expect((await fx.store.calls.require(call.id)).contact_disposition).toBe('interested');
  });

  it("simulated tag changes start from the scripted contact's tags, as a real run starts from the record", async () => {
    fx = await engineFixture();
    await fx.attach('untag', 'remove-contact-tags', { tags: ['beta', 'absent'] }, 'during');
    await fx.attach('reply', 'custom-reply', { text: "{{ actions.untag.tags | join: ',' }}" }, 'during');
    await fx.attach('tag', 'add-contact-tags', { tags: ['callback'] }, 'during');
    const result = await simulate(fx.engine, fx.agent.id, {
      call: { contact: { first_name: 'Ada', tags: ['vip', 'beta'] } },
      events: ['answered'],
    });
    expect(result.runs.map((r) => [r.action, r.outputs])).toEqual([
      ['untag', { removed: 1, tags: ['vip'] }],
      ['reply', { say: 'vip' }],
      ['tag', { added: ['callback'], tags: ['beta', 'callback', 'vip'] }],
    ]);
  });

  it('contact types fail their precondition without a contact', async () => {
    fx = await engineFixture();
    await fx.attach('tag', 'add-contact-tags', { tags: ['vip'] }, 'during');
    const session = await fx.engine.session({ agentId: fx.agent.id, callId: (await fx.call()).id });
    const r = await session.runStage('during');
    expect(r.runs[0]).toMatchObject({ status: 'failed', error: { code: 'PRECONDITION' } });
  });

  it('call disposition: set while live; refused after hand-off or end; fallback applied at end', async () => {
    fx = await engineFixture({ fallback: 'no-answer-recorded' });
    await fx.attach('dispose', 'call-disposition', { allowed: ['sale', 'no-sale'] }, 'during', {
      triggers: [{ kind: 'tool' }],
    });
    const call = await fx.call();
    // The call's state as its owner (the call layer's state machine) would report it.
    let state: CallState = 'answered';
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: call.id, state: () => state });
    expect(await s.callTool('dispose', { disposition: 'maybe' })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION' },
    });
    expect(await s.callTool('dispose', { disposition: 'sale' })).toMatchObject({ ok: true });
    expect((await fx.store.calls.require(call.id)).call_disposition).toBe('sale');
    state = 'handed-off';
    expect(await s.callTool('dispose', { disposition: 'no-sale' })).toMatchObject({
      ok: false,
      error: { code: 'PRECONDITION' },
    });
    expect((await fx.store.calls.require(call.id)).call_disposition).toBe('sale');
    await fx.engine.endCall(s);
    expect(await s.callTool('dispose', { disposition: 'no-sale' })).toMatchObject({
      ok: false,
      error: { code: 'PRECONDITION' },
    });
    const other = await fx.call();
    const s2 = await fx.engine.session({ agentId: fx.agent.id, callId: other.id });
    expect((await fx.engine.endCall(s2)).callDisposition).toBe('no-answer-recorded');
    expect(await fx.store.calls.require(other.id)).toMatchObject({
      call_disposition: 'no-answer-recorded',
      state: 'ended',
    });
  });

  it('set DNC blocks every later outbound call and SMS to that number, with the reason recorded', async () => {
    fx = await engineFixture();
    await fx.attach('dnc', 'set-dnc', {}, 'during', {
      triggers: [{ kind: 'intent', phrases: ['stop calling me'] }],
    });
    const number = '+14155550177';
    await expect(callable(number, 'call')).resolves.toBeUndefined();
    const call = await fx.call(number);
    const s = await fx.engine.session({
      agentId: fx.agent.id,
      callId: call.id,
      from: number,
      direction: 'inbound',
    });
    await s.handleEvent({ type: 'transcript', text: 'Please stop calling me.' });
    const contact = await fx.store.contacts.findBy('phone', number);
    expect(contact).toMatchObject({
      dnc: true,
      dnc_by: `call:${call.id}`,
      dnc_reason: 'caller asked not to be contacted',
    });
    let err: unknown;
    try {
      await callable(number, 'call');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CallwrightError);
    expect((err as CallwrightError).code).toBe('DNC');
    expect((err as CallwrightError).message).toMatch(
      /Do-Not-Call list since .*caller asked not to be contacted.*not placed/,
    );
    expect((err as CallwrightError).message).not.toContain('4155550177');
    await expect(callable(number, 'sms')).rejects.toThrow(/message was not sent/);
    await expect(callable('+14155550178', 'sms')).resolves.toBeUndefined();
  });

  it('set DNC stores a caller seen with the 00 prefix in E.164, so a later call to +… is refused', async () => {
    fx = await engineFixture();
    await fx.attach('dnc', 'set-dnc', {}, 'during', {
      triggers: [{ kind: 'intent', phrases: ['stop calling'] }],
    });
    const call = await fx.call('00442079460958');
    const s = await fx.engine.session({
      agentId: fx.agent.id,
      callId: call.id,
      from: '00442079460958',
      direction: 'inbound',
    });
    await s.handleEvent({ type: 'transcript', text: 'stop calling' });
    expect(await fx.store.contacts.findBy('phone', '+442079460958')).toMatchObject({ dnc: true });
    await expect(callable('+442079460958', 'call')).rejects.toThrow(/Do-Not-Call/);
  });
});
