import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cliHarness } from './cli-harness.js';
import type { AgentEvent } from '../../../src/agent/agent.js';
import { startHttpReceiver } from '../../helpers/http-receiver.js';
import { startChatServer, type ReplySpec } from '../../helpers/llm-providers/openai-chat-server.js';
import { PROJECT_ROOT } from '../../../src/config/load.js';
import { BELLA_AGENT, queuedModel, verdict } from '../agent/caller-simulation-fixtures.js';

let h: ReturnType<typeof cliHarness>;
let llm: Awaited<ReturnType<typeof queuedModel>>;

beforeEach(async () => {
  h = cliHarness();
  llm = await queuedModel();
});
afterEach(async () => {
  await llm.close();
  h.cleanup();
});

function file(name: string, text: string): string {
  const f = path.join(h.dir, name);
  writeFileSync(f, text);
  return f;
}

/** Points the server's `llm` settings at the chat double (the caller and the judge use them). */
function withLlm(): void {
  appendFileSync(h.configFile, `llm:\n  base_url: ${llm.baseUrl}\n  model: double\n  timeout_ms: 5000\n`);
}

async function importBella(): Promise<void> {
  const res = await h.run('agents', 'import', file('bella.yaml', BELLA_AGENT));
  expect(res.code).toBe(0);
}

const TWO_SCENARIOS = `
scenarios:
  - name: books a table
    persona: Maria, a regular, polite and brief.
    goal: A table for two tonight.
    expected: The agent books the table and confirms the time.
  - name: orders delivery
    persona: Sam, hungry and impatient.
    goal: A pizza delivered.
    expected: The agent takes the delivery order.
    max_turns: 3
`;

/** The double's answers for both scenarios, in the order the calls ask: caller turns, then the judge. */
function replyBothScenarios(): void {
  llm.reply(
    { content: "Hi, I'd like to book a table for two tonight." },
    { content: "No, that's all, thanks. [hangup]" },
    verdict(['expected_outcome', true, 'The agent booked the table for seven.']),
    { content: 'Do you deliver pizza?' },
    { content: 'Forget it. [hangup]' },
    verdict(['expected_outcome', false, 'The agent never took a delivery order.']),
  );
}

describe('callwright test', () => {
  it('runs two scenarios against a scripted agent: prints the failing run with its transcript and reasons, exit 1 below the threshold', async () => {
    withLlm();
    await importBella();
    replyBothScenarios();
    const res = await h.run('test', 'bella', '--scenarios', file('s.yaml', TWO_SCENARIOS));
    expect(res.code).toBe(1);
    const out = res.out.join('\n');
    expect(res.out[0]).toMatch(/^agent bella \(scripted, \S+\)$/);
    expect(out).toContain('PASS books a table: 1/1 runs passed (100%)');
    expect(out).toContain('FAIL orders delivery: 0/1 runs passed (0%)');
    expect(out).toContain(
      [
        '  run 1 failed, ended: caller-hangup after 2 caller turns',
        '    transcript:',
        "      Agent: Thanks for calling Bella's.",
        '      Agent: Would you like to book a table or hear our opening hours?',
        '      Caller: Do you deliver pizza?',
        '      Agent: Sorry, I can only book tables or tell you our opening hours.',
        '      Agent: Would you like to book a table or hear our opening hours?',
        '      Caller: Forget it.',
        '      [call ended: the caller hung up]',
        '    judge (score 0):',
        '      expected_outcome: failed (The agent never took a delivery order.)',
      ].join('\n'),
    );
    // The passing run is not printed in full.
    expect(out).not.toContain("Caller: Hi, I'd like to book a table");
    expect(res.out.at(-1)).toBe('FAILED: 1/2 runs passed (50%), threshold 100%');
  });

  it('exits 0 when the pass rate reaches --threshold, and --json prints one document with the tool calls', async () => {
    withLlm();
    await importBella();
    replyBothScenarios();
    const res = await h.run(
      'test',
      'bella',
      '--scenarios',
      file('s.yaml', TWO_SCENARIOS),
      '--threshold',
      '0.5',
      '--json',
    );
    expect(res.code).toBe(0);
    const report = JSON.parse(res.out.join('\n')) as Record<string, unknown> & {
      scenarios: Array<{ name: string; results: Array<Record<string, unknown>> }>;
    };
    expect(report).toMatchObject({ runs: 2, passed: 1, pass_rate: 0.5, threshold: 0.5, ok: true });
    expect(report.agent).toMatchObject({ name: 'bella', kind: 'scripted' });
    expect(report.scenarios.map((s) => s.name)).toEqual(['books a table', 'orders delivery']);
    expect(report.scenarios[0]!.results[0]!.tool_calls).toEqual([
      {
        turn: 1,
        name: 'record_outcome',
        args: { disposition: 'booked' },
        status: 'succeeded',
        outputs: { disposition: 'booked' },
      },
    ]);
  });

  it('--runs repeats every scenario', async () => {
    withLlm();
    await importBella();
    for (let i = 0; i < 3; i++) {
      llm.reply(
        { content: 'When are you open? [hangup]' },
        verdict(['expected_outcome', i !== 1, i !== 1 ? 'fine' : 'The agent gave no hours.']),
      );
    }
    const scenarios = file(
      'hours.yaml',
      'scenarios: [{ name: hours, persona: Kim., goal: The opening hours., expected: The agent gives the hours. }]',
    );
    const res = await h.run('test', 'bella', '--scenarios', scenarios, '--runs', '3', '--threshold', '0.6');
    expect(res.code).toBe(0);
    expect(res.out).toContain('FAIL hours: 2/3 runs passed (67%)');
    expect(res.out).toContain('  run 2 failed, ended: caller-hangup after 1 caller turns');
    expect(res.out.at(-1)).toBe('PASSED: 2/3 runs passed (67%), threshold 60%');
  });

  it.each([
    [['--scenarios', 'missing.yaml'], /cannot read \S+missing\.yaml: ENOENT/],
    [['--scenarios', 'BAD'], /scenarios\.0\.persona: missing, expected a value \(required\)/],
    [['--scenarios', 'GOOD', '--threshold', '2'], /--threshold: got "2", expected a pass rate from 0 to 1/],
    [['--scenarios', 'GOOD', '--runs', '0'], /--runs: got "0", expected an integer 1-100/],
    [['--scenarios', 'GOOD', '--mode', 'audio'], /--mode: got "audio", expected text/],
    [[], /--scenarios: missing, expected a YAML scenario file/],
  ])('exits 2 for bad input %j', async (args, message) => {
    withLlm();
    await importBella();
    const good = file('good.yaml', TWO_SCENARIOS);
    const bad = file('bad.yaml', 'scenarios: [{ name: a, goal: g, expected: e }]');
    const argv = args.map((a) =>
      a === 'GOOD' ? good : a === 'BAD' ? bad : a === 'missing.yaml' ? path.join(h.dir, a) : a,
    );
    const res = await h.run('test', 'bella', ...argv);
    expect(res.code).toBe(2);
    expect(res.err.join('\n')).toMatch(message);
    expect(llm.seen).toHaveLength(0);
  });

  it('exits 2 for an unknown agent, a webhook agent and a server without an LLM', async () => {
    const scenarios = file('s.yaml', TWO_SCENARIOS);
    let res = await h.run('test', 'bella', '--scenarios', scenarios);
    expect(res.code).toBe(2);
    expect(res.err.join('\n')).toMatch(
      /no LLM configured: the simulated caller and the judge need llm\.base_url/,
    );

    withLlm();
    res = await h.run('test', 'nobody', '--scenarios', scenarios);
    expect(res.code).toBe(2);
    expect(res.err.join('\n')).toContain('agent "nobody" not found');

    const hook = file(
      'hook.yaml',
      'agent:\n  name: hook\n  kind: webhook\n  config: { url: "https://agent.example/turn", secret: whsec_c2VjcmV0c2VjcmV0 }\n',
    );
    expect((await h.run('agents', 'import', hook)).code).toBe(0);
    res = await h.run('test', 'hook', '--scenarios', scenarios);
    expect(res.code).toBe(2);
    expect(res.err.join('\n')).toMatch(/is a webhook agent: .* pass --allow-webhook/);
    expect(llm.seen).toHaveLength(0);
  });

  it('counts a run whose caller model is unreachable as failed, with the error printed (exit 1)', async () => {
    const gone = llm.baseUrl;
    await llm.close();
    appendFileSync(h.configFile, `llm:\n  base_url: ${gone}\n  model: double\n  timeout_ms: 2000\n`);
    llm = await queuedModel();
    await importBella();
    const scenarios = file(
      'hours.yaml',
      'scenarios: [{ name: hours, persona: Kim., goal: The opening hours., expected: The agent gives the hours. }]',
    );
    const res = await h.run('test', 'bella', '--scenarios', scenarios);
    expect(res.code).toBe(1);
    expect(res.out).toContain('FAIL hours: 0/1 runs passed (0%)');
    expect(res.out).toContain('  run 1 failed');
    expect(res.out.join('\n')).toMatch(
      / {4}error: call: LLM server 127\.0\.0\.1:\d+ unreachable: ECONNREFUSED/,
    );
  });

  it('--allow-webhook tests a webhook agent: each caller line is POSTed to its server as a transcript event', async () => {
    withLlm();
    const hook = await startHttpReceiver((req) => {
      const { event } = JSON.parse(req.body) as { event: AgentEvent };
      if (event.type === 'call-started')
        return { body: { commands: [{ type: 'say', text: 'Hook agent here.' }] } };
      if (event.type === 'transcript')
        return {
          body: { commands: [{ type: 'action', name: 'record_outcome', args: { disposition: 'hours' } }] },
        };
      if (event.type === 'action-result' && event.ok)
        return { body: { commands: [{ type: 'hangup', say: 'We open at noon. Goodbye.' }] } };
      return { body: {} };
    });
    try {
      const agentFile = file(
        'hook.yaml',
        `agent:
  name: hook
  kind: webhook
  config: { url: "${hook.url}/turn", secret: whsec_c2VjcmV0c2VjcmV0 }
actions:
  - { name: record_outcome, type: call-disposition, config: { allowed: [hours] } }
attachments:
  - { action: record_outcome, stage: during, triggers: [{ kind: tool }] }
`,
      );
      expect((await h.run('agents', 'import', agentFile)).code).toBe(0);
      llm.reply(
        { content: 'When do you open?' },
        verdict(['expected_outcome', true, 'The agent said noon.']),
      );
      const scenarios = file(
        'hours.yaml',
        'scenarios: [{ name: hours, persona: Kim., goal: The opening hours., expected: The agent gives the hours. }]',
      );
      const res = await h.run('test', 'hook', '--scenarios', scenarios, '--allow-webhook', '--json');
      expect(res.code).toBe(0);
      const report = JSON.parse(res.out.join('\n')) as {
        scenarios: Array<{ results: Array<{ ended: string; transcript: unknown[] }> }>;
      };
      const run = report.scenarios[0]!.results[0]!;
      expect(run.ended).toBe('agent-hangup');
      expect(run.transcript.filter((e) => (e as { kind: string }).kind === 'line')).toEqual([
        { turn: 0, kind: 'line', speaker: 'agent', text: 'Hook agent here.' },
        { turn: 1, kind: 'line', speaker: 'caller', text: 'When do you open?' },
        { turn: 1, kind: 'line', speaker: 'agent', text: 'We open at noon. Goodbye.' },
      ]);
      const events = hook.requests.map((r) => (JSON.parse(r.body) as { event: AgentEvent }).event);
      expect(events.map((e) => e.type)).toEqual(['call-started', 'transcript', 'action-result']);
      expect(events[1]).toEqual({
        type: 'transcript',
        text: 'When do you open?',
        speaker: 'caller',
        final: true,
      });
    } finally {
      await hook.close();
    }
  });
});

/**
 * A local model double for the demo LLM agent's test: one chat-completions server answers the three
 * roles as a model would, from the request alone: the agent (streamed, with tools), the caller (plain
 * completion, persona in the system prompt) and the judge (forced `record_evaluation` call).
 */
function demoModel(body: Record<string, unknown>): ReplySpec {
  const messages = body.messages as Array<{ role: string; content?: string | null; tool_calls?: unknown[] }>;
  const system = String(messages[0]?.content ?? '');
  const last = messages.at(-1)!;
  if (body.tool_choice) {
    const transcript = String(last.content);
    const rubric = (
      body.tools as Array<{
        function: {
          parameters: { properties: { criteria: { items: { properties: { name: { enum: string[] } } } } } };
        };
      }>
    )[0]!.function.parameters.properties.criteria.items.properties.name.enum;
    const looked = transcript.includes(
      '[action order_status (tool call with {"order_number":"48213"}): succeeded',
    );
    const transferred = transcript.includes('[agent transferred the call to sales (cold)]');
    const verdicts: Record<string, [boolean, string]> = {
      expected_outcome: system.includes('Dana')
        ? [looked, looked ? 'The agent looked up order 48213 and gave its status.' : 'No lookup of 48213.']
        : [transferred, transferred ? 'The agent transferred the caller to sales.' : 'No transfer to sales.'],
      asks_before_guessing: [true, 'The agent asked for the order number first.'],
      short_answers: [true, 'Every agent turn is short.'],
      no_order_lookup: [!transcript.includes('[action order_status'), 'No order was looked up.'],
    };
    return {
      toolCalls: [
        {
          name: 'record_evaluation',
          arguments: {
            criteria: rubric.map((name) => ({
              name,
              passed: verdicts[name]![0],
              reason: verdicts[name]![1],
            })),
          },
        },
      ],
    };
  }
  if (body.stream) {
    if (last.role === 'tool')
      return { content: 'Order 48213 has shipped and arrives tomorrow. Anything else?' };
    const said = String(last.content ?? '');
    if (/sales|laptops/i.test(said))
      return { toolCalls: [{ name: 'transfer_call', arguments: { target: 'sales' } }] };
    const number = /\b(\d{5})\b/.exec(said)?.[1];
    if (number) return { toolCalls: [{ name: 'order_status', arguments: { order_number: number } }] };
    if (/bye/i.test(said)) return { toolCalls: [{ name: 'end_call', arguments: { goodbye: 'Goodbye!' } }] };
    if (/order/i.test(said)) return { content: 'Sure, what is your order number?' };
    return { content: 'How can I help?' };
  }
  const turn = messages.filter((m) => m.role === 'assistant').length;
  const lines = system.includes('Dana')
    ? ["Hi, I'm calling about my order.", "It's 48213.", 'Great, thanks. Bye! [hangup]']
    : ["Hi, I'd like to buy twenty laptops. Can I talk to someone in sales?"];
  return { content: lines[turn] ?? '[hangup]' };
}

describe('callwright test with the demo LLM agent', () => {
  it('the demo LLM agent file imports with its sales target and order number parameter as written', async () => {
    const imported = await h.run('agents', 'import', path.join(PROJECT_ROOT, 'config/agents/demo-llm.yaml'));
    expect(imported.err).toEqual([]);
    expect(imported.code).toBe(0);
    const store = h.openStore();
    try {
      expect((await store.agents.byIdOrName('demo-llm'))!.targets).toEqual({
        sales: { type: 'sip', uri: 'sip:sales@127.0.0.1' },
      });
      const lookup = (await store.actions.all()).find((a) => a.name === 'order_status')!;
      expect((lookup.config.parameters as Record<string, unknown>).order_number).toEqual({
        type: 'string',
        pattern: '^[0-9]{1,12}$',
        description: 'The order number, digits only',
      });
    } finally {
      await store.close();
    }
  });

  it('runs two scenarios against the demo LLM agent in text mode (local model double)', async () => {
    const model = await startChatServer({ apiKey: 'sk-test', reply: (body) => demoModel(body) });
    try {
      appendFileSync(
        h.configFile,
        `llm:\n  base_url: ${model.url}\n  api_key: sk-test\n  model: gpt-4o-mini\n  timeout_ms: 5000\n`,
      );
      const imported = await h.run(
        'agents',
        'import',
        path.join(PROJECT_ROOT, 'config/agents/demo-llm.yaml'),
      );
      expect(imported.err).toEqual([]);
      expect(imported.code).toBe(0);
      const scenarios = path.join(PROJECT_ROOT, 'config/scenarios/demo-llm.yaml');

      const res = await h.run('test', 'demo-llm', '--scenarios', scenarios);
      expect(res.err).toEqual([]);
      expect(res.code).toBe(0);
      expect(res.out.slice(1)).toEqual([
        'PASS order status: 1/1 runs passed (100%)',
        'PASS wants to buy: 1/1 runs passed (100%)',
        'PASSED: 2/2 runs passed (100%), threshold 100%',
      ]);

      const json = await h.run('test', 'demo-llm', '--scenarios', scenarios, '--json');
      expect(json.code).toBe(0);
      const report = JSON.parse(json.out.join('\n')) as {
        agent: { kind: string };
        scenarios: Array<{
          results: Array<{
            ended: string;
            turns: number;
            transcript: Array<Record<string, unknown>>;
            tool_calls: unknown[];
            actions: unknown[];
          }>;
        }>;
      };
      expect(report.agent.kind).toBe('llm');
      const [status, buy] = report.scenarios.map((s) => s.results[0]!);
      expect(status).toMatchObject({ ended: 'caller-hangup', turns: 3 });
      expect(
        status!.transcript
          .filter((e) => e.kind === 'line')
          .map((e) => `${String(e.speaker)}: ${String(e.text)}`),
      ).toEqual([
        'agent: Hello, this is Acme Shop. How can I help you today?',
        "caller: Hi, I'm calling about my order.",
        'agent: Sure, what is your order number?',
        "caller: It's 48213.",
        expect.stringMatching(/^agent: /) as unknown as string,
        'agent: Order 48213 has shipped and arrives tomorrow. Anything else?',
        'caller: Great, thanks. Bye!',
      ]);
      // The order API was not called: the tool ran as a dry run, with the URL it would have fetched.
      expect(status!.tool_calls).toEqual([
        {
          turn: 2,
          name: 'order_status',
          args: { order_number: '48213' },
          status: 'succeeded',
          outputs: { status: '<status>', ok: true, eta: '<eta>' },
        },
      ]);
      expect(status!.actions).toContainEqual(
        expect.objectContaining({
          action: 'order_status',
          payload: expect.objectContaining({ url: 'https://orders.example.com/orders/48213' }) as unknown,
        }),
      );
      expect(buy).toMatchObject({ ended: 'handed-off', turns: 1, tool_calls: [] });
      expect(buy!.transcript).toContainEqual({ turn: 1, kind: 'transfer', target: 'sales', mode: 'cold' });

      // The agent streamed with its tools; the caller and the judge asked plain completions.
      const agentRequests = model.requests.filter((r) => r.body.stream === true);
      const toolNames = (agentRequests[0]!.body.tools as Array<{ function: { name: string } }>).map(
        (t) => t.function.name,
      );
      expect(toolNames).toEqual(expect.arrayContaining(['order_status', 'transfer_call', 'end_call']));
      expect(model.requests.every((r) => r.status === 200)).toBe(true);
    } finally {
      await model.close();
    }
  });
});
