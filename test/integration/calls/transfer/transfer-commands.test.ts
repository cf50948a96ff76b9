import { startAgentWebhook } from '../../../helpers/http-receiver.js';
import { afterEach, describe, expect, it } from 'vitest';
import { callsFixture, until } from '../calls-fixture.js';

let fx: ReturnType<typeof callsFixture>;
let closeHook: (() => Promise<void>) | undefined;
afterEach(async () => {
  await fx?.cleanup();
  await closeHook?.();
  closeHook = undefined;
});

const SECRET = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');

/** A local agent webhook, closed after each test. */
async function webhook(reply: (event: Record<string, unknown>) => unknown) {
  const hook = await startAgentWebhook(reply);
  closeHook = hook.close;
  return hook;
}

function runs(callId: string) {
  return fx.store.db
    .prepare(`SELECT action_id, action_type, status, "trigger" FROM action_runs WHERE call_id = ?`)
    .all(callId) as Array<{ action_id: string | null; action_type: string; status: string; trigger: string }>;
}

describe("a webhook agent's transfer command", () => {
  it('gets the typed outcome of a failed bridged transfer (method, reason) and keeps the caller', async () => {
    const hook = await webhook((event) => {
      if (event.type === 'call-started')
        return {
          commands: [{ type: 'transfer', target: 'sip:desk@127.0.0.1:5099', options: { refer: false } }],
        };
      if (event.type === 'transfer-result') return { commands: [{ type: 'hangup', say: 'Nobody is free' }] };
      return {};
    });
    fx = callsFixture({ default_agent: 'hooked' });
    await fx.agent('hooked', JSON.stringify({ url: hook.url, secret: SECRET, timeout_ms: 2000 }), 'webhook');
    fx.telephony.nextDial = 'busy';
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    await leg.ended;
    await until(() => hook.received.some((e) => e.type === 'call-event'));
    const result = hook.received.find((e) => e.type === 'transfer-result');
    expect(result).toMatchObject({
      ok: false,
      target: 'sip:desk@127.0.0.1:5099',
      outcome: {
        flow: 'transfer',
        mode: 'cold',
        result: 'failed',
        method: 'bridge',
        reason: 'busy',
        handed_off: false,
      },
      error: { code: 'TRANSFER_FAILED' },
    });
    expect(leg.spoken).toEqual(['Nobody is free']);
    const id = (await fx.store.calls.all())[0]!.id;
    await until(async () => (await fx.store.calls.require(id)).state === 'ended');
    expect((await fx.store.calls.require(id)).outcome).not.toBe('transferred');
    const recorded = runs(id);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ action_id: null, action_type: 'cold-transfer', status: 'failed' });
    expect(JSON.parse(recorded[0]!.trigger)).toEqual({ kind: 'command', command: 'transfer' });
  });

  it('a REFER the peer accepts hands the call off from the typed outcome; the run has no definition', async () => {
    const hook = await webhook((event) =>
      event.type === 'call-started'
        ? { commands: [{ type: 'transfer', target: 'sip:desk@127.0.0.1:5099' }] }
        : {},
    );
    fx = callsFixture({ default_agent: 'hooked' });
    await fx.agent('hooked', JSON.stringify({ url: hook.url, secret: SECRET, timeout_ms: 2000 }), 'webhook');
    const { call } = fx.telephony.incoming('+14155550100', '100');
    const leg = await call.answered;
    await leg.ended;
    const id = (await fx.store.calls.all())[0]!.id;
    await until(async () => (await fx.store.calls.require(id)).state === 'ended');
    expect(leg.referred).toEqual(['sip:desk@127.0.0.1:5099']);
    expect(runs(id)).toMatchObject([{ action_id: null, action_type: 'cold-transfer', status: 'succeeded' }]);
    const states = (await fx.events(id)).filter((e) => e.type === 'state').map((e) => e.data.to);
    expect(states).toEqual(['answered', 'handed-off', 'ended']);
    expect((await fx.store.calls.require(id)).outcome).toBe('transferred');
  });
});
