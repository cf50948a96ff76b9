import { afterEach, describe, expect, it } from 'vitest';
import { startAgentWebhook } from '../../helpers/http-receiver.js';
import { callsFixture, until } from './calls-fixture.js';

let fx: ReturnType<typeof callsFixture>;
let closeHook: (() => Promise<void>) | undefined;
afterEach(async () => {
  await fx?.cleanup();
  await closeHook?.();
  closeHook = undefined;
});

const SECRET = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');

async function call(partials: boolean) {
  const hook = await startAgentWebhook(() => ({}));
  closeHook = hook.close;
  fx = callsFixture({ default_agent: 'hooked' });
  await fx.agent(
    'hooked',
    JSON.stringify({ url: hook.url, secret: SECRET, timeout_ms: 2000, partial_transcripts: partials }),
    'webhook',
  );
  const { call } = fx.telephony.incoming('+14155550100', '100');
  const leg = await call.answered;
  const id = (await fx.store.calls.all())[0]!.id;
  await until(() => hook.received.some((e) => e.type === 'call-started'));
  for (const text of ['i would', 'i would like', 'i would like to pay'])
    await fx.manager.transcript(id, { text, final: false, speaker: 'caller' });
  await fx.manager.transcript(id, { text: 'I would like to pay my bill', final: true, speaker: 'caller' });
  await until(() => hook.received.some((e) => e.type === 'transcript' && e.final === true));
  await leg.hangup();
  return { hook, id };
}

describe('partial transcript lines', () => {
  it('reach a webhook agent that asks for them, the latest while it is busy, and are not stored', async () => {
    const { hook, id } = await call(true);
    const lines = hook.received.filter((e) => e.type === 'transcript');
    const partials = lines.filter((e) => e.final === false).map((e) => e.text);
    expect(partials.length).toBeGreaterThan(0);
    expect(partials.at(-1)).toBe('i would like to pay');
    expect(lines.at(-1)).toMatchObject({ text: 'I would like to pay my bill', final: true });
    const stored = (await fx.events(id)).filter((e) => e.type === 'transcript');
    expect(stored.map((e) => (e.data as { text: string }).text)).toEqual(['I would like to pay my bill']);
  });

  it('are not sent to a webhook agent that did not ask', async () => {
    const { hook } = await call(false);
    const lines = hook.received.filter((e) => e.type === 'transcript');
    expect(lines.map((e) => e.final)).toEqual([true]);
  });
});
