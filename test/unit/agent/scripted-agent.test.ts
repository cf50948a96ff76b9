import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { ScriptedAgent } from '../../../src/agent/scripted/scripted-agent.js';
import { parseScript } from '../../../src/agent/scripted/script-schema.js';
import type { AgentContext, AgentEvent } from '../../../src/agent/agent.js';
import { TemplateRenderer } from '../../../src/templates/template-renderer.js';
import type { CallwrightError } from '../../../src/errors.js';

const templates = new TemplateRenderer();
function ctx(scope: Record<string, unknown> = {}): AgentContext {
  const full = {
    call: { from: '+14155550100' },
    collected: {},
    data: {},
    contact: {},
    actions: {},
    ...scope,
  };
  return {
    callId: 'call_1',
    scope: () => full,
    render: (t, f) => templates.render(t, full, f),
    log: pino({ level: 'silent' }),
    signal: new AbortController().signal,
    perform: () => Promise.reject(new Error('a scripted agent answers with commands')),
    post: () => undefined,
    mark: () => undefined,
    record: () => undefined,
    tools: () => [],
    targets: () => [],
  };
}
const started: AgentEvent = { type: 'call-started', call: {}, variables: {} };

const MENU = {
  steps: [
    { say: 'Hello {{ call.from }}' },
    {
      id: 'menu',
      gather: { input: 'any', prompt: 'Press 1 for sales', max_digits: 1, timeout_ms: 2000, into: 'choice' },
    },
    {
      branch: [
        { dtmf: '1', goto: 'sales' },
        { intent: ['talk to a human', 'operator'], goto: 'sales' },
        { condition: 'data.vip == true', goto: 'vip' },
        { no_input: true, goto: 'bye' },
      ],
    },
    { say: 'Not an option' },
    { goto: 'menu' },
    { id: 'sales', action: { name: 'Transfer to Sales', on_failure: 'bye' } },
    { hangup: true },
    { id: 'vip', transfer: { target: 'vip_line', mode: 'warm' } },
    { id: 'bye', hangup: { say: 'Goodbye' } },
  ],
};

describe('scripted agent', () => {
  it('greets, then waits at the gather with the rendered prompt', async () => {
    const a = new ScriptedAgent(MENU);
    expect(await a.handle(started, ctx())).toEqual([
      { type: 'say', text: 'Hello +14155550100', interrupt: false },
      {
        type: 'gather',
        input: 'any',
        prompt: 'Press 1 for sales',
        max_digits: 1,
        timeout_ms: 2000,
        inter_digit_timeout_ms: 3000,
        // The branch after the gather names the answers it expects: recognisers use them as hints.
        expect: ['talk to a human', 'operator'],
      },
    ]);
  });

  it('branches on a DTMF digit to an action (tool name derived from the definition name)', async () => {
    const a = new ScriptedAgent(MENU);
    await a.handle(started, ctx());
    const out = await a.handle({ type: 'gather-result', input: 'dtmf', digits: '1' }, ctx());
    expect(out).toEqual([
      { type: 'collect', values: { choice: '1', last_input: 'dtmf' } },
      { type: 'action', name: 'transfer_to_sales' },
    ]);
    // A failed action follows on_failure.
    expect(await a.handle({ type: 'action-result', action: 'x', ok: false }, ctx())).toEqual([
      { type: 'hangup', say: 'Goodbye' },
    ]);
  });

  it('branches on an intent phrase in a speech result, and loops back on a wrong key', async () => {
    const a = new ScriptedAgent(MENU);
    await a.handle(started, ctx());
    const wrong = await a.handle({ type: 'gather-result', input: 'dtmf', digits: '7' }, ctx());
    expect(wrong.map((c) => c.type)).toEqual(['collect', 'say', 'gather']);
    const out = await a.handle(
      { type: 'gather-result', input: 'speech', text: 'Can I talk to a HUMAN please?' },
      ctx(),
    );
    expect(out.at(-1)).toEqual({ type: 'action', name: 'transfer_to_sales' });
  });

  it('branches on a condition over the variables, and on no input', async () => {
    const a = new ScriptedAgent(MENU);
    await a.handle(started, ctx({ data: { vip: true } }));
    const out = await a.handle(
      { type: 'gather-result', input: 'dtmf', digits: '9' },
      ctx({ data: { vip: true } }),
    );
    expect(out.at(-1)).toEqual({ type: 'transfer', target: 'vip_line', mode: 'warm' });
    const b = new ScriptedAgent(MENU);
    await b.handle(started, ctx());
    expect((await b.handle({ type: 'gather-result', input: 'timeout' }, ctx())).at(-1)).toEqual({
      type: 'hangup',
      say: 'Goodbye',
    });
  });

  it('hangs up at the end of the script and after a goto loop that never waits', async () => {
    const a = new ScriptedAgent({ steps: [{ say: 'hi' }] });
    expect(await a.handle(started, ctx())).toEqual([
      { type: 'say', text: 'hi', interrupt: false },
      { type: 'hangup', reason: 'script finished' },
    ]);
    const loop = new ScriptedAgent({ steps: [{ id: 'a', goto: 'a' }] });
    expect((await loop.handle(started, ctx())).at(-1)).toEqual({ type: 'hangup', reason: 'script loop' });
  });
});

describe('script validation', () => {
  function issues(config: unknown): string[] {
    try {
      parseScript(config);
      return [];
    } catch (err) {
      return (err as CallwrightError).issues.map((i) => i.field);
    }
  }

  it.each([
    [{}, 'config.steps'],
    [{ steps: [{ sya: 'typo' }] }, 'config.steps.0'],
    [{ steps: [{ say: 'a', play: 'b' }] }, 'config.steps.0'],
    [{ steps: [{ gather: { timeout_ms: 5 } }] }, 'config.steps.0.gather.timeout_ms'],
    [{ steps: [{ goto: 'nowhere' }] }, 'config.steps.0.goto'],
    [
      { steps: [{ branch: [{ dtmf: '1', goto: 'x' }] }, { id: 'y', say: 'a' }] },
      'config.steps.0.branch.0.goto',
    ],
    [
      { steps: [{ id: 'a', branch: [{ condition: 'contact.tags has', goto: 'a' }] }] },
      'config.steps.0.branch.0.condition',
    ],
    [{ steps: [{ id: 'a', branch: [{ dtmf: '1', intent: ['x'], goto: 'a' }] }] }, 'config.steps.0.branch.0'],
    [{ steps: [{ say: 'Hi {{ contact.first_name ' }] }, 'config.steps.0.say'],
    [
      {
        steps: [
          { id: 'a', say: 'x' },
          { id: 'a', say: 'y' },
        ],
      },
      'config.steps.1.id',
    ],
    [{ steps: [{ say: 'x' }], greeting: 'x' }, 'config.greeting'],
  ])('refuses %j naming %s', (config, field) => {
    expect(issues(config)).toContain(field);
  });

  it('accepts the demo-style script', () => {
    expect(issues(MENU)).toEqual([]);
  });
});
