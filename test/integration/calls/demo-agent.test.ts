import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { callsFixture, until } from './calls-fixture.js';
import { ensureDemoAgent } from '../../../src/calls/demo-agent.js';
import { importAgent } from '../../../src/agent/agent-import.js';
import type { CallwrightError } from '../../../src/errors.js';

let fx: ReturnType<typeof callsFixture>;
afterEach(() => fx?.cleanup());
const silent = pino({ level: 'silent' });

async function attachedTypes(agentId: string): Promise<string[]> {
  const { items } = await fx.store.attachments.list({ limit: 50 }, { agent_id: agentId });
  const types = [];
  for (const a of items) types.push((await fx.store.actions.require(a.action_id)).type);
  return types.sort();
}

describe('demo agent', () => {
  it('is created once from config/agents/demo.yaml with the configured transfer target', async () => {
    fx = callsFixture({ demo_agent: true });
    expect(await ensureDemoAgent(fx.store, fx.engine, '+14155550150', silent)).toBe(true);
    const demo = (await fx.store.agents.findBy('name', 'demo'))!;
    expect(await attachedTypes(demo.id)).toEqual(['leave-voicemail', 'warm-transfer']);
    expect((await fx.store.actions.findBy('name', 'demo_transfer'))?.config).toMatchObject({
      target: '+14155550150',
    });
    await fx.store.agents.update(demo.id, { description: 'edited by the user' });
    expect(await ensureDemoAgent(fx.store, fx.engine, '+14155550150', silent)).toBe(false);
    expect((await fx.store.agents.require(demo.id)).description).toBe('edited by the user');
  });

  it('without a transfer target, key 1 says so and says goodbye; key 3 reads the number back', async () => {
    fx = callsFixture({ demo_agent: true });
    await ensureDemoAgent(fx.store, fx.engine, '', silent);
    const demo = (await fx.store.agents.findBy('name', 'demo'))!;
    expect(await attachedTypes(demo.id)).toEqual(['leave-voicemail']);
    const first = fx.telephony.incoming('+14155550100', '5551234');
    const leg = await first.call.answered;
    await until(() => leg.spoken.some((t) => t.startsWith('Press 1')));
    leg.press('1');
    await leg.ended;
    expect(leg.spoken.slice(-2)).toEqual([
      'No transfer target is set up on this server. Set calls dot demo transfer target.',
      'Thank you for calling. Goodbye.',
    ]);
    const second = fx.telephony.incoming('+14155550100', '5551234');
    const leg2 = await second.call.answered;
    await until(() => leg2.spoken.some((t) => t.startsWith('Press 1')));
    leg2.press('3');
    await until(() => leg2.spoken.some((t) => t.startsWith('You are calling from')));
    expect(leg2.spoken).toContain('You are calling from + 1 4 1 5 5 5 5 0 1 0 0.');
    leg2.remoteHangup();
    await until(() => fx.manager.active === 0);
  });
});

describe('agent import validates the script', () => {
  it('refuses a bad step naming its field and writes nothing', async () => {
    fx = callsFixture();
    const doc = {
      agent: {
        name: 'broken',
        kind: 'scripted',
        config: { steps: [{ say: 'hi' }, { gather: { input: 'dtmf', timeout_ms: 5 } }] },
      },
    };
    let err: CallwrightError | undefined;
    try {
      await importAgent(fx.store, fx.engine, doc);
    } catch (e) {
      err = e as CallwrightError;
    }
    expect(err?.code).toBe('VALIDATION');
    expect(err?.issues[0]).toMatchObject({ field: 'agent.config.steps.1.gather.timeout_ms', value: 5 });
    expect(await fx.store.agents.findBy('name', 'broken')).toBeUndefined();
  });

  it('refuses a webhook agent without a URL', async () => {
    fx = callsFixture();
    await expect(
      (async () =>
        importAgent(fx.store, fx.engine, {
          agent: { name: 'hook', kind: 'webhook', config: { secret: 'whsec_' + 'A'.repeat(24) } },
        }))(),
    ).rejects.toThrow(/agent\.config\.url/);
  });
});
