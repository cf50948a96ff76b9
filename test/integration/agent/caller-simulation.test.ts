import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { importAgent } from '../../../src/agent/agent-import.js';
import { createAgent } from '../../../src/agent/create-agent.js';
import type { Agent, AgentCommand, AgentContext, AgentEvent } from '../../../src/agent/agent.js';
import { SimulatedAgent } from '../../../src/agent/simulated-agent.js';
import type { ActionEngine } from '../../../src/actions/action-engine.js';
import {
  parseScenarioFile,
  runScenarios,
  type ScenarioFile,
  type TestReport,
} from '../../../src/agent/testing/index.js';
import { OpenAiChatClient } from '../../../src/integrations/llm/chat-client.js';
import type { AgentRecord, Store } from '../../../src/store/store.js';
import { testActionEngine } from '../../helpers/action-engine.js';
import { attacher } from '../../helpers/attach.js';
import { tempStore, testConfig } from '../../helpers/temp.js';
import { BELLA_AGENT, queuedModel, verdict } from './caller-simulation-fixtures.js';

let t: ReturnType<typeof tempStore>;
let engine: ActionEngine;
let llm: Awaited<ReturnType<typeof queuedModel>>;
let agent: AgentRecord;

beforeEach(async () => {
  t = tempStore();
  engine = testActionEngine(t.store, testConfig(t.dir));
  await importAgent(t.store, engine, parse(BELLA_AGENT));
  agent = (await t.store.agents.byIdOrName('bella'))!;
  llm = await queuedModel();
});
afterEach(async () => {
  await llm.close();
  await t.cleanup();
});

function client(): OpenAiChatClient {
  return new OpenAiChatClient({ base_url: llm.baseUrl, api_key: '', model: 'double', timeout_ms: 5000 });
}

function run(file: ScenarioFile, a: AgentRecord = agent): Promise<TestReport> {
  return runScenarios({
    engine,
    agent: a,
    buildAgent: () => createAgent(a),
    caller: client(),
    judge: client(),
    file,
  });
}

const BOOKING = `
scenarios:
  - name: books a table
    persona: Maria, a regular, polite and brief.
    goal: A table for two tonight.
    expected: The agent books the table and confirms the time.
`;

function actionRuns(store: Store): number {
  return (store.db.prepare('SELECT count(*) AS n FROM action_runs').get() as { n: number }).n;
}

describe('simulated callers against a scripted agent', () => {
  it("delivers the caller model's lines to the agent, runs its tool as a dry run and passes on the judge's verdict", async () => {
    llm.reply(
      { content: "Hi, I'd like to book a table for two tonight." },
      { content: "No, that's all, thanks. [hangup]" },
      verdict(['expected_outcome', true, 'The agent booked the table for seven.']),
    );
    const report = await run(parseScenarioFile(BOOKING));

    expect(report).toMatchObject({ runs: 1, passed: 1, pass_rate: 1, threshold: 1, ok: true });
    const r = report.scenarios[0]!.results[0]!;
    expect(r.ended).toBe('caller-hangup');
    expect(r.turns).toBe(2);
    expect(r.transcript.filter((e) => e.kind === 'line')).toEqual([
      { turn: 0, kind: 'line', speaker: 'agent', text: "Thanks for calling Bella's." },
      {
        turn: 0,
        kind: 'line',
        speaker: 'agent',
        text: 'Would you like to book a table or hear our opening hours?',
      },
      { turn: 1, kind: 'line', speaker: 'caller', text: "Hi, I'd like to book a table for two tonight." },
      { turn: 1, kind: 'line', speaker: 'agent', text: 'Your table is booked for tonight at seven.' },
      { turn: 1, kind: 'line', speaker: 'agent', text: 'Is there anything else?' },
      { turn: 2, kind: 'line', speaker: 'caller', text: "No, that's all, thanks." },
    ]);
    expect(r.tool_calls).toEqual([
      {
        turn: 1,
        name: 'record_outcome',
        args: { disposition: 'booked' },
        status: 'succeeded',
        outputs: { disposition: 'booked' },
      },
    ]);
    expect(r.verdict).toMatchObject({
      passed: true,
      score: 100,
      source: 'llm',
      reasons: ['expected_outcome: passed (The agent booked the table for seven.)'],
    });
    // A dry run: nothing is written to the execution history.
    expect(actionRuns(t.store)).toBe(0);

    // The caller's model: persona, goal and the hang-up word in its system prompt; the agent's lines
    // as user messages, its own earlier line as the assistant's.
    const [first, second, judge] = llm.seen.map(
      (s) => s.body as { messages: Array<Record<string, string>>; tool_choice?: unknown },
    );
    expect(first!.messages[0]!.content).toContain('Maria, a regular, polite and brief.');
    expect(first!.messages[0]!.content).toContain('A table for two tonight.');
    expect(first!.messages[0]!.content).toContain('[hangup]');
    expect(first!.messages[1]).toEqual({
      role: 'user',
      content: "Thanks for calling Bella's.\nWould you like to book a table or hear our opening hours?",
    });
    expect(second!.messages.slice(2)).toEqual([
      { role: 'assistant', content: "Hi, I'd like to book a table for two tonight." },
      { role: 'user', content: 'Your table is booked for tonight at seven.\nIs there anything else?' },
    ]);
    // The judge reads the call with the tool run noted in place, and the rubric from `expected`.
    expect(judge!.tool_choice).toEqual({ type: 'function', function: { name: 'record_evaluation' } });
    expect(judge!.messages[0]!.content).toContain(
      '- expected_outcome: The agent books the table and confirms the time.',
    );
    expect(judge!.messages[1]!.content).toBe(
      [
        "Agent: Thanks for calling Bella's.",
        'Agent: Would you like to book a table or hear our opening hours?',
        "Caller: Hi, I'd like to book a table for two tonight.",
        '[action record_outcome (tool call with {"disposition":"booked"}): succeeded, input {"allowed":["booked","hours"]}]',
        'Agent: Your table is booked for tonight at seven.',
        'Agent: Is there anything else?',
        "Caller: No, that's all, thanks.",
        '[call ended: the caller hung up]',
      ].join('\n'),
    );
  });

  it("fires intent triggers on the agent's own lines and the caller's, as dry runs in the transcript", async () => {
    const attach = attacher(t.store, engine, agent.id);
    await attach('mark_booked', 'call-disposition', { disposition: 'booked' }, 'during', {
      triggers: [{ kind: 'intent', phrases: ['table is booked'], speaker: 'agent' }],
    });
    await attach('mark_hours', 'call-disposition', { disposition: 'hours' }, 'during', {
      triggers: [{ kind: 'intent', phrases: ['opening hours'], speaker: 'caller' }],
    });
    llm.reply(
      { content: 'A table for two, please.' },
      { content: 'What are your opening hours?' },
      { content: 'No. [hangup]' },
      verdict(['expected_outcome', true, 'Booked.']),
    );
    const report = await run(parseScenarioFile(BOOKING));
    const fired = report.scenarios[0]!.results[0]!.transcript.flatMap((e) =>
      e.kind === 'action' && e.run.trigger.kind === 'intent'
        ? [{ turn: e.turn, action: e.run.action, trigger: e.run.trigger, status: e.run.status }]
        : [],
    );
    expect(fired).toEqual([
      {
        turn: 1,
        action: 'mark_booked',
        trigger: {
          kind: 'intent',
          phrase: 'table is booked',
          line: 'Your table is booked for tonight at seven.',
        },
        status: 'succeeded',
      },
      {
        turn: 2,
        action: 'mark_hours',
        trigger: { kind: 'intent', phrase: 'opening hours', line: 'What are your opening hours?' },
        status: 'succeeded',
      },
    ]);
    expect(actionRuns(t.store)).toBe(0);
  });

  it("ends when the agent hangs up and fails the run with the judge's reasons", async () => {
    llm.reply(
      { content: 'Do you deliver pizza?' },
      // Silence: the agent's gather times out and it says goodbye.
      { content: '' },
      verdict(['expected_outcome', false, 'The agent never took a delivery order.']),
    );
    const report = await run(
      parseScenarioFile(`
scenarios:
  - name: orders delivery
    persona: Sam, hungry and impatient.
    goal: A pizza delivered.
    expected: The agent takes the delivery order.
`),
    );
    expect(report).toMatchObject({ runs: 1, passed: 0, pass_rate: 0, ok: false });
    const r = report.scenarios[0]!.results[0]!;
    expect(r.ended).toBe('agent-hangup');
    expect(r.turns).toBe(2);
    expect(r.transcript.filter((e) => e.kind === 'line').map((e) => e.kind === 'line' && e.text)).toEqual([
      "Thanks for calling Bella's.",
      'Would you like to book a table or hear our opening hours?',
      'Do you deliver pizza?',
      'Sorry, I can only book tables or tell you our opening hours.',
      'Would you like to book a table or hear our opening hours?',
      "Thank you for calling Bella's. Goodbye.",
    ]);
    // The silent turn reached the caller's model as silence, the agent's goodbye went to no one.
    expect(llm.seen).toHaveLength(3);
    expect(r.verdict?.reasons).toEqual(['expected_outcome: failed (The agent never took a delivery order.)']);
  });

  it('stops a call that goes nowhere after max_turns caller turns', async () => {
    llm.reply(
      { content: 'Hmm, let me think.' },
      { content: 'Caller: "Still thinking."' },
      verdict(['expected_outcome', false, 'The caller never asked for anything.']),
    );
    const report = await run(
      parseScenarioFile(`
scenarios:
  - name: undecided
    persona: Lee, undecided.
    goal: Nothing in particular.
    expected: The agent helps the caller decide.
    max_turns: 2
`),
    );
    const r = report.scenarios[0]!.results[0]!;
    expect(r).toMatchObject({ ended: 'max-turns', turns: 2, passed: false });
    // A speaker prefix and quotes around the model's line are not part of what the caller says.
    expect(r.transcript).toContainEqual({
      turn: 2,
      kind: 'line',
      speaker: 'caller',
      text: 'Still thinking.',
    });
    expect(llm.seen).toHaveLength(3);
  });

  it('counts passed runs over all runs against the threshold', async () => {
    llm.reply(
      { content: 'What are your opening hours? [hangup]' },
      verdict(['expected_outcome', true, 'fine'], ['polite', true, 'fine']),
      { content: 'What are your opening hours? [hangup]' },
      verdict(['expected_outcome', true, 'fine'], ['polite', false, 'The agent did not greet.']),
    );
    const report = await run(
      parseScenarioFile(`
runs: 2
threshold: 0.5
scenarios:
  - name: hours
    persona: Kim.
    goal: The opening hours.
    expected: The agent gives the opening hours.
    criteria:
      - { name: polite, description: The agent greets the caller }
`),
    );
    expect(report).toMatchObject({ runs: 2, passed: 1, pass_rate: 0.5, threshold: 0.5, ok: true });
    const [first, second] = report.scenarios[0]!.results;
    expect(first).toMatchObject({ run: 1, passed: true, ended: 'caller-hangup', turns: 1 });
    expect(second).toMatchObject({ run: 2, passed: false, verdict: { score: 50 } });
  });

  it("fails a run whose verdict leaves out a criterion, naming the judge's problem", async () => {
    llm.reply({ content: '[hangup]' }, verdict(['polite', true, 'fine']));
    const report = await run(
      parseScenarioFile(`
scenarios:
  - name: hours
    persona: Kim.
    goal: The opening hours.
    expected: The agent gives the opening hours.
    criteria: [{ name: polite, description: The agent greets the caller }]
`),
    );
    const r = report.scenarios[0]!.results[0]!;
    expect(r.passed).toBe(false);
    expect(r.error).toBe("judge: the judge's verdict is malformed: criteria.expected_outcome: missing");
  });
});

/**
 * An agent of its own kind that drives its turn with `ctx.perform` as an LLM agent does: it streams its
 * lines, calls a tool (first with arguments the tool refuses) and transfers on the second caller line.
 */
class TurnDrivingAgent implements Agent {
  readonly kind = 'turn-driving';
  readonly drivesTurns = true;
  readonly idleAfterMs = 8000;
  readonly seen: AgentEvent[] = [];
  private lines = 0;

  async handle(event: AgentEvent, ctx: AgentContext): Promise<AgentCommand[]> {
    this.seen.push(event);
    if (event.type === 'call-started') {
      await ctx.perform({ type: 'say-stream', text: stream('Hello, ', 'how can I ', 'help?') });
      return [];
    }
    if (event.type === 'idle') return [{ type: 'say', text: `Are you still there? (${event.count})` }];
    if (event.type !== 'transcript' || event.speaker !== 'caller') return [];
    this.lines += 1;
    if (this.lines === 1) {
      const refused = await ctx.perform({
        type: 'action',
        name: 'record_outcome',
        args: { disposition: 'maybe' },
      });
      const done = await ctx.perform({
        type: 'action',
        name: 'record_outcome',
        args: { disposition: 'hours' },
      });
      const ok =
        refused?.type === 'action-result' && !refused.ok && done?.type === 'action-result' && done.ok;
      await ctx.perform({
        type: 'say-stream',
        text: stream(ok ? 'We open at noon.' : 'Something went wrong.'),
      });
      return [];
    }
    return [
      { type: 'say', text: 'Let me put you through.' },
      { type: 'transfer', target: 'sip:desk@pbx.example' },
    ];
  }
}

async function* stream(...pieces: string[]): AsyncIterable<string> {
  for (const p of pieces) yield p;
}

describe('simulated callers against any agent kind', () => {
  it('drives an agent that runs its own turn: streamed lines, tool calls validated as dry runs, a transfer ends the call', async () => {
    llm.reply(
      { content: 'When do you open?' },
      { content: 'Can I talk to someone?' },
      verdict(['expected_outcome', true, 'The agent gave the hours and transferred the caller.']),
    );
    const brain = new TurnDrivingAgent();
    const report = await runScenarios({
      engine,
      agent: { id: agent.id, name: 'turn-driving', kind: brain.kind },
      buildAgent: () => brain,
      caller: client(),
      judge: client(),
      file: parseScenarioFile(
        'scenarios: [{ name: hours then a person, persona: Kim., goal: The hours then a person., expected: The agent gives the hours and transfers. }]',
      ),
    });
    const r = report.scenarios[0]!.results[0]!;
    expect(r).toMatchObject({ passed: true, ended: 'handed-off', turns: 2 });
    // Caller lines arrive as final caller transcript events.
    expect(brain.seen.filter((e) => e.type === 'transcript')).toEqual([
      { type: 'transcript', text: 'When do you open?', speaker: 'caller', final: true },
      { type: 'transcript', text: 'Can I talk to someone?', speaker: 'caller', final: true },
    ]);
    expect(r.tool_calls).toEqual([
      {
        turn: 1,
        name: 'record_outcome',
        args: { disposition: 'maybe' },
        status: 'failed',
        outputs: {},
        error: expect.objectContaining({ code: 'VALIDATION' }) as unknown,
      },
      {
        turn: 1,
        name: 'record_outcome',
        args: { disposition: 'hours' },
        status: 'succeeded',
        outputs: { disposition: 'hours' },
      },
    ]);
    expect(r.transcript).toContainEqual({
      turn: 0,
      kind: 'line',
      speaker: 'agent',
      text: 'Hello, how can I help?',
    });
    expect(r.transcript).toContainEqual({
      turn: 1,
      kind: 'line',
      speaker: 'agent',
      text: 'We open at noon.',
    });
    expect(r.transcript).toContainEqual({
      turn: 2,
      kind: 'transfer',
      target: 'sip:desk@pbx.example',
      mode: 'cold',
    });
    expect(actionRuns(t.store)).toBe(0);
  });

  it('tells an agent with an idle limit of a silent caller turn (idle events, counted) and of the caller hanging up', async () => {
    llm.reply(
      { content: '' },
      { content: '(silence)' },
      { content: 'Sorry, bye. [hangup]' },
      verdict(['expected_outcome', true, 'The agent checked on the caller.']),
    );
    const brain = new TurnDrivingAgent();
    const report = await runScenarios({
      engine,
      agent: { id: agent.id, name: 'turn-driving', kind: brain.kind },
      buildAgent: () => brain,
      caller: client(),
      judge: client(),
      file: parseScenarioFile(
        'scenarios: [{ name: silent, persona: Kim., goal: Nothing., expected: The agent checks on a silent caller. }]',
      ),
    });
    const r = report.scenarios[0]!.results[0]!;
    expect(r).toMatchObject({ passed: true, ended: 'caller-hangup', turns: 3 });
    expect(brain.seen.slice(1)).toEqual([
      { type: 'idle', count: 1, silent_ms: 8000 },
      { type: 'idle', count: 2, silent_ms: 8000 },
      { type: 'call-event', event: 'ended', detail: { by: 'caller' } },
    ]);
    expect(r.transcript.filter((e) => e.kind === 'line').map((e) => e.kind === 'line' && e.text)).toEqual([
      'Hello, how can I help?',
      'Are you still there? (1)',
      'Are you still there? (2)',
      'Sorry, bye.',
    ]);
  });

  it('leaves webhook agents alone unless asked (each turn would POST to their server)', async () => {
    const webhook = {
      kind: 'webhook' as const,
      config: { url: 'https://agent.example/turn', secret: 'whsec_c2VjcmV0c2VjcmV0' },
    };
    const deps = {
      session: await engine.session({ agentId: agent.id, dryRun: true }),
      templates: engine.templates,
      callTool: () => Promise.reject(new Error('not called')),
      transcript: () => Promise.resolve(),
    };
    expect(SimulatedAgent.for(webhook, deps)).toBeUndefined();
    expect(SimulatedAgent.for(webhook, deps, { allowWebhook: true })).toBeInstanceOf(SimulatedAgent);
  });
});

describe('scenario files', () => {
  it.each([
    [
      'scenarios: [{ name: a, goal: g, expected: e }]',
      'f.yaml.scenarios.0.persona: missing, expected a value (required)',
    ],
    [
      'threshold: 1.5\nscenarios: [{ name: a, persona: p, goal: g, expected: e }]',
      'f.yaml.threshold: got 1.5, expected a number <= 1',
    ],
    [
      'scenarios: [{ name: a, persona: p, goal: g, expected: e, max_turns: 0 }]',
      'f.yaml.scenarios.0.max_turns: got 0, expected a number >= 1',
    ],
    [
      'scenarios: [{ name: a, persona: p, goal: g, expected: e, mood: calm }]',
      'f.yaml.scenarios.0.mood: got "calm", expected no such field (unknown)',
    ],
    [
      'scenarios: [{ name: a, persona: p, goal: g, expected: e }, { name: a, persona: p, goal: g, expected: e }]',
      'f.yaml.scenarios.1.name: got "a", expected a name no other scenario uses',
    ],
    [
      'scenarios: [{ name: a, persona: p, goal: g, expected: e, criteria: [{ name: expected_outcome, description: d }] }]',
      'f.yaml.scenarios.0.criteria.0.name: got "expected_outcome", expected a name not used by another criterion (expected_outcome is the scenario\'s expected)',
    ],
    ['scenarios: []', 'f.yaml.scenarios: got [], expected at least 1 items'],
  ])('refuses %s', (text, message) => {
    expect(() => parseScenarioFile(text, 'f.yaml')).toThrow(message);
  });

  it('fills the defaults: one run, threshold 1, 12 caller turns', () => {
    const file = parseScenarioFile('scenarios: [{ name: a, persona: p, goal: g, expected: e }]');
    expect(file).toEqual({
      runs: 1,
      threshold: 1,
      caller: {},
      scenarios: [{ name: 'a', persona: 'p', goal: 'g', expected: 'e', max_turns: 12 }],
    });
  });
});
