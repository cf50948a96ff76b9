import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture } from '../../actions/engine-fixture.js';
import { FakeLeg, FakeTelephony, answeredHandle } from '../../../helpers/fake-port.js';
import type { CallFlowSettings } from '../../../../src/calls/targets/call-flow-settings.js';
import type { CallFlowSink } from '../../../../src/calls/flow-actions/call-flow-deps.js';
import { registerCallFlowActions } from '../../../../src/calls/flow-actions/call-flow-types.js';
import type { SipTrunkSettings } from '../../../../src/config/schema.js';
import type { ActionSession } from '../../../../src/actions/action-session.js';

let fx: Awaited<ReturnType<typeof engineFixture>>;
afterEach(() => fx?.cleanup());

async function setup(
  leg: FakeLeg,
  tel: FakeTelephony,
  attach: () => unknown,
  settings: Partial<CallFlowSettings> = {},
) {
  fx = await engineFixture();
  const flows: CallFlowSettings = { ...settingsFor(fx.dir), ...settings };
  const holder: { session?: ActionSession } = {};
  const fired: Array<Promise<unknown>> = [];
  const sink: CallFlowSink = {
    emit: (_id, e) => void fired.push((holder.session as ActionSession).handleEvent(e)),
  };
  registerCallFlowActions(fx.registry, { settings: flows, telephony: tel, sink });
  await attach();
  await fx.store.agents.update(fx.agent.id, {
    targets: { sales: { type: 'sip', uri: 'sip:sales@pbx.example' } },
  });
  const call = await fx.call();
  const session = await fx.engine.session({
    agentId: fx.agent.id,
    callId: call.id,
    from: '+14155550100',
    call: answeredHandle(call.id, leg),
  });
  holder.session = session;
  return { call, session, fired };
}

function settingsFor(dir: string): CallFlowSettings {
  return {
    voicemailDir: `${dir}/voicemail`,
    publicUrl: 'http://127.0.0.1:1',
    trunks: [],
    referNotifyTimeoutMs: 1000,
    ringTimeoutMs: 500,
    durableVoicemailEmail: false,
  };
}

/** The engine fixture with the call layer's types registered (no telephony, no call). */
async function flowFixture(): Promise<Awaited<ReturnType<typeof engineFixture>>> {
  const f = await engineFixture();
  registerCallFlowActions(f.registry, { settings: settingsFor(f.dir) });
  return f;
}

describe('call-flow action types through the engine', () => {
  it('cold transfer by REFER: disposition, transfer outcome and runs in order', async () => {
    const leg = new FakeLeg();
    const { call, session } = await setup(leg, new FakeTelephony(), async () => {
      await fx.attach('tag-it', 'custom-reply', { text: 'One moment.' }, 'during', {
        triggers: [{ kind: 'dtmf', digits: '1' }],
      });
      await fx.attach(
        'to-sales',
        'cold-transfer',
        { target: 'sales', disposition: 'transferred' },
        'during',
        {
          triggers: [{ kind: 'dtmf', digits: '1' }],
        },
      );
    });
    const r = await session.handleEvent({ type: 'dtmf', digits: '1' });
    expect(r.runs.map((x) => [x.action, x.status])).toEqual([
      ['tag-it', 'succeeded'],
      ['to-sales', 'succeeded'],
    ]);
    const row = await fx.store.calls.require(call.id);
    expect(row.call_disposition).toBe('transferred');
    expect(row.transfer).toMatchObject({
      kind: 'cold',
      method: 'refer',
      result: 'completed',
      target: 'sales (sip:sales@pbx.example)',
    });
    expect(leg.ops).toEqual(['refer:sip:sales@pbx.example', 'hangup:transferred']);
    const runs = (await fx.engine.history.list({ callId: call.id })).items
      .reverse()
      .map((x) => x.action_type);
    expect(runs).toEqual(['custom-reply', 'cold-transfer']);
  });

  it('a failed warm transfer fails the run with the reason and fires transfer-failed', async () => {
    const leg = new FakeLeg();
    const tel = new FakeTelephony().script('sip:sales@pbx.example', {
      fail: { outcome: 'busy', status: 486 },
    });
    const { call, session, fired } = await setup(leg, tel, async () => {
      await fx.attach('warm', 'warm-transfer', { allowed_targets: ['sales'] }, 'during', {
        triggers: [{ kind: 'tool' }],
      });
      await fx.attach('sorry', 'custom-reply', { text: 'Nobody is free: {{ call.id }}' }, 'during', {
        triggers: [{ kind: 'event', event: 'transfer-failed' }],
      });
    });
    expect(session.tools()[0]?.parameters).toMatchObject({ properties: { target: { const: 'sales' } } });
    const result = await session.callTool('warm', { target: 'sales' });
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: 'TRANSFER_FAILED',
        message: 'warm transfer to sales (sip:sales@pbx.example) failed: busy',
      },
    });
    // The event the transfer fired runs after the tool call (the session serialises work).
    expect(fired).toHaveLength(1);
    const next = (await fired[0]) as { runs: Array<{ action: string; outputs: Record<string, unknown> }> };
    expect(next.runs.map((x) => x.action)).toEqual(['sorry']);
    const events = (await fx.store.callEvents.list(call.id)).items.map((e) => e.type);
    expect(events).toContain('transfer-failed');
    const history = (await fx.engine.history.list({ callId: call.id })).items
      .reverse()
      .map((x) => [x.action_type, x.status]);
    expect(history).toEqual([
      ['warm-transfer', 'failed'],
      ['custom-reply', 'succeeded'],
    ]);
    expect(leg.ops).toEqual(['hold', 'unhold']);
  });

  it('configs are validated on save, naming the field', async () => {
    fx = await flowFixture();
    await expect(
      fx.engine.definitions.create({ name: 'c', type: 'cold-transfer', config: {} }),
    ).rejects.toThrow(/config\.target/);
    await expect(
      fx.engine.definitions.create({ name: 'i', type: 'ivr-navigate', config: { sequence: '1x' } }),
    ).rejects.toThrow(/config\.sequence: got "1x"/);
    await expect(
      fx.engine.definitions.create({
        name: 'v',
        type: 'leave-voicemail',
        config: { max_duration_ms: 10 },
      }),
    ).rejects.toThrow(/config\.max_duration_ms/);
    await expect(
      fx.engine.definitions.create({
        name: 'i2',
        type: 'ivr-navigate',
        config: { sequence: '{{ data.pin }}#' },
      }),
    ).resolves.toMatchObject({ name: 'i2' });
  });

  it('needs an answered live call', async () => {
    fx = await flowFixture();
    await fx.attach('ivr', 'ivr-navigate', { sequence: '1' }, 'during');
    const call = await fx.call();
    const s = await fx.engine.session({ agentId: fx.agent.id, callId: call.id });
    const r = await s.runStage('during');
    expect(r.runs[0]?.error).toMatchObject({ code: 'PRECONDITION', message: 'needs a live call' });
  });

  it("IVR navigation uses the trunk's DTMF method and records what it sent", async () => {
    const leg = new FakeLeg({ direction: 'outbound', trunk: 'carrier' });
    const trunk: SipTrunkSettings = {
      name: 'carrier',
      host: '192.0.2.1',
      port: 5060,
      transport: 'udp',
      username: '',
      password: '',
      allow_refer: true,
      dtmf_method: 'info',
      caller_id: '',
      inbound_allow: [],
      inbound_username: '',
      inbound_password: '',
    };
    const { call, session } = await setup(
      leg,
      new FakeTelephony(),
      () => fx.attach('menu', 'ivr-navigate', { sequence: '2w{{ data.pin }}#' }, 'during'),
      { trunks: [trunk] },
    );
    session.init.data = { pin: '77' };
    const r = await session.runStage('during');
    expect(r.runs[0]).toMatchObject({
      status: 'succeeded',
      outputs: { sent: '277#', method: 'info', status: 'completed' },
    });
    expect(leg.ops).toEqual(['dtmf:2:info', 'dtmf:77#:info']);
    expect((await fx.store.callEvents.list(call.id)).items.map((e) => e.type)).toEqual(['ivr-navigation']);
  });
});
