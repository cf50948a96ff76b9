import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { attacher } from '../../../helpers/attach.js';
import { tempStore } from '../../../helpers/temp.js';
import { createActionEngine } from '../../../../src/actions/action-engine.js';
import { subjectOf } from '../../../../src/actions/agent-plan.js';
import type { Stage } from '../../../../src/store/store.js';
import { createLlmServices } from '../../../../src/integrations/llm/llm-services.js';
import { OpenAiChatClient, structuredReply } from '../../../../src/integrations/llm/chat-client.js';
import { openAiDouble } from './openai-double.js';

const NOW = Date.parse('2026-03-09T12:00:00Z');

const FIELDS = [
  { name: 'party_size', type: 'number', description: 'How many people', keywords: ['people', 'party', 'us'] },
  { name: 'name', type: 'text', description: "The caller's name", keywords: ['my name is', 'this is'] },
  {
    name: 'wants_parking',
    type: 'boolean',
    keywords: ['parking'],
    false_keywords: ['no parking', "don't need parking"],
  },
  { name: 'plan', type: 'enum', values: ['basic', 'premium'], required: true },
  { name: 'visit_date', type: 'date', keywords: ['on', 'for'] },
];

const CRITERIA = [
  {
    name: 'greeting',
    description: 'The agent greets the caller by company name',
    keywords: ['thanks for calling'],
  },
  {
    name: 'confirms',
    description: 'The agent confirms the booking details',
    keywords: ['to confirm'],
    weight: 2,
  },
  { name: 'empathy', description: 'The agent acknowledges concerns' },
];

let llm: Awaited<ReturnType<typeof openAiDouble>>;
let t: ReturnType<typeof tempStore>;

async function setup(withLlm: boolean) {
  const services = withLlm
    ? createLlmServices({
        base_url: llm.baseUrl,
        api_key: 'sk-test',
        model: 'test-model',
        timeout_ms: 5000,
        temperature: 0,
        max_tokens: 512,
      })
    : createLlmServices({
        base_url: '',
        api_key: '',
        model: '',
        timeout_ms: 5000,
        temperature: 0,
        max_tokens: 512,
      });
  const engine = createActionEngine({
    store: t.store,
    logger: pino({ level: 'silent' }),
    actions: { before_budget_ms: 2000, fallback_disposition: '' },
    outbox: { max_attempts: 3 },
    clock: { now: () => NOW },
    services,
  });
  const agent = await t.store.agents.create({ name: `a${Math.random()}`, kind: 'scripted' });
  const attachAction = attacher(t.store, engine, agent.id);
  const attach = async (
    name: string,
    type: string,
    config: Record<string, unknown>,
    stage: Stage,
    failure_policy = {},
  ): Promise<void> => {
    await attachAction(name, type, config, stage, { failure_policy });
  };
  const call = await t.store.calls.create({
    direction: 'inbound',
    from_number: '+14155550100',
    to_number: '+14155550199',
    agent_id: agent.id,
    started_at: new Date(NOW).toISOString(),
  });
  const say = (speaker: 'caller' | 'agent', text: string) =>
    t.store.callEvents.append(call.id, 'transcript', { speaker, text, final: true });
  await say('agent', 'Thanks for calling Bistro Nova, how can I help?');
  await say('caller', 'Hi, this is Ann Lee. I would like a table for 4 people on March 20.');
  await say('caller', 'Premium menu please, and we need parking.');
  await say('agent', 'To confirm: four people, March 20, premium menu, with parking.');
  /** Runs one attachment through the real runner, as the after stage's delivery would. */
  const runAfter = async (name: string) => {
    const plan = (await engine.plan(agent.id)).find((p) => p.definition.name === name)!;
    const session = await engine.session({ agentId: agent.id, callId: call.id });
    return engine.runner.run({
      subject: subjectOf(plan),
      firedBy: { kind: 'event', event: 'ended' },
      scope: session.scope(),
      args: {},
      phase: 'ended',
      callId: call.id,
      agentId: agent.id,
      dryRun: false,
      signal: new AbortController().signal,
    });
  };
  return { engine, agent, attach, call, runAfter };
}

beforeEach(async () => {
  llm = await openAiDouble();
  t = tempStore();
});
afterEach(async () => {
  await llm.close();
  await t.cleanup();
});

describe('extract-data with an OpenAI-compatible server', () => {
  it('sends model, messages and a forced tool; stores typed fields on the call and as variables', async () => {
    const fx = await setup(true);
    await fx.attach('extract', 'extract-data', { fields: FIELDS }, 'during');
    await fx.attach(
      'echo',
      'custom-reply',
      { text: '{{ collected.name }} x{{ collected.party_size }} on {{ actions.extract.visit_date }}' },
      'during',
    );
    llm.reply({
      tool: 'record_fields',
      args: {
        party_size: 4,
        name: 'Ann Lee',
        wants_parking: true,
        plan: 'premium',
        visit_date: '2026-03-20',
      },
    });
    const session = await fx.engine.session({ agentId: fx.agent.id, callId: fx.call.id });
    const r = await session.runStage('during');
    expect(r.runs.map((x) => x.status)).toEqual(['succeeded', 'succeeded']);
    expect(r.say).toEqual(['Ann Lee x4 on 2026-03-20']);

    const req = llm.seen[0]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.body).toMatchObject({
      model: 'test-model',
      temperature: 0,
      tool_choice: { type: 'function', function: { name: 'record_fields' } },
    });
    const messages = req.body.messages as Array<{ role: string; content: string }>;
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(messages[1]!.content).toContain(
      'Caller: Hi, this is Ann Lee. I would like a table for 4 people on March 20.',
    );
    expect(messages[1]!.content).toContain('Agent: Thanks for calling Bistro Nova');
    const tool = (
      req.body.tools as Array<{
        type: string;
        function: { name: string; parameters: { properties: Record<string, unknown> } };
      }>
    )[0]!;
    expect(tool.type).toBe('function');
    expect(tool.function.parameters.properties.plan).toMatchObject({ enum: ['basic', 'premium', null] });
    expect(tool.function.parameters.properties.party_size).toMatchObject({ type: ['number', 'null'] });

    expect((await t.store.calls.require(fx.call.id)).collected).toEqual({
      party_size: 4,
      name: 'Ann Lee',
      wants_parking: true,
      plan: 'premium',
      visit_date: '2026-03-20',
    });
    expect(r.runs[0]!.outputs).toMatchObject({
      source: 'llm',
      model: 'test-model',
      invalid: [],
      missing: [],
      party_size: 4,
    });
  });

  it('reports values of the wrong type and does not store them; fail_on_invalid makes the run fail', async () => {
    const fx = await setup(true);
    await fx.attach('extract', 'extract-data', { fields: FIELDS }, 'during');
    llm.reply({
      tool: 'record_fields',
      args: { party_size: 'four', name: 'Ann', wants_parking: 'yes', plan: 'gold', visit_date: '20/03/2026' },
    });
    const r = await (
      await fx.engine.session({ agentId: fx.agent.id, callId: fx.call.id })
    ).runStage('during');
    expect(r.runs[0]!.status).toBe('succeeded');
    expect(r.runs[0]!.outputs.invalid).toEqual([
      { field: 'party_size', value: 'four', expected: 'a number' },
      { field: 'wants_parking', value: 'yes', expected: 'true or false' },
      { field: 'plan', value: 'gold', expected: 'one of "basic", "premium"' },
      { field: 'visit_date', value: '20/03/2026', expected: 'a date as YYYY-MM-DD' },
    ]);
    expect((await t.store.calls.require(fx.call.id)).collected).toEqual({ name: 'Ann' });

    const strict = await setup(true);
    await strict.attach(
      'extract-strict',
      'extract-data',
      { fields: FIELDS, fail_on_invalid: true },
      'during',
    );
    llm.reply({ tool: 'record_fields', args: { party_size: 'four', plan: null } });
    const s = await (
      await strict.engine.session({ agentId: strict.agent.id, callId: strict.call.id })
    ).runStage('during');
    expect(s.runs[0]!.status).toBe('failed');
    expect(s.runs[0]!.error?.code).toBe('EXTRACTION_INVALID');
    expect(s.runs[0]!.error?.message).toBe(
      'party_size: got "four", expected a number; plan: missing (required)',
    );
    expect((await t.store.calls.require(strict.call.id)).collected).toEqual({});
  });

  it('carries the provider error message; 401 is not retried, 500 is retried by the failure policy', async () => {
    const fx = await setup(true);
    await fx.attach('extract', 'extract-data', { fields: FIELDS }, 'during', { retries: 2, backoff_ms: 1 });
    llm.reply({ status: 401, error: 'Incorrect API key provided' });
    const r = await (
      await fx.engine.session({ agentId: fx.agent.id, callId: fx.call.id })
    ).runStage('during');
    expect(r.runs[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'LLM_HTTP', retryable: false },
    });
    expect(r.runs[0]!.error?.message).toBe('LLM server answered 401: Incorrect API key provided');

    llm.reply({ status: 500, error: 'overloaded' }, { tool: 'record_fields', args: { plan: 'basic' } });
    const again = await (
      await fx.engine.session({ agentId: fx.agent.id, callId: fx.call.id })
    ).runStage('during');
    expect(again.runs[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
  });
});

describe('evaluate-call and summarize-call with an OpenAI-compatible server', () => {
  it('stores score, pass/fail and reasons on calls.evaluation', async () => {
    const fx = await setup(true);
    await fx.attach('eval', 'evaluate-call', { criteria: CRITERIA, pass_score: 70 }, 'after');
    llm.reply({
      tool: 'record_evaluation',
      args: {
        criteria: [
          { name: 'greeting', passed: true, reason: 'Said "Thanks for calling Bistro Nova".' },
          { name: 'confirms', passed: true, reason: 'Read back the details.' },
          { name: 'empathy', passed: false, reason: 'No concern was raised.' },
        ],
      },
    });
    const run = await fx.runAfter('eval');
    expect(run.status).toBe('succeeded');
    const body = llm.seen[0]!.body;
    expect((body.tools as Array<{ function: { name: string } }>)[0]!.function.name).toBe('record_evaluation');
    expect((body.messages as Array<{ content: string }>)[0]!.content).toContain(
      '- confirms: The agent confirms the booking details',
    );
    const stored = (await t.store.calls.require(fx.call.id)).evaluation!;
    expect(stored).toMatchObject({
      score: 75,
      passed: true,
      pass_score: 70,
      source: 'llm',
      model: 'test-model',
    });
    expect(stored.reasons).toEqual([
      'greeting: passed (Said "Thanks for calling Bistro Nova".)',
      'confirms: passed (Read back the details.)',
      'empathy: failed (No concern was raised.)',
    ]);
  });

  it('a malformed verdict is a failure and nothing is stored', async () => {
    const fx = await setup(true);
    await fx.attach('eval', 'evaluate-call', { criteria: CRITERIA }, 'after');
    llm.reply({
      tool: 'record_evaluation',
      args: { criteria: [{ name: 'greeting', passed: 'yes', reason: '' }] },
    });
    const run = await fx.runAfter('eval');
    expect(run.status).toBe('failed');
    expect(run.error?.code).toBe('EVALUATION_INVALID');
    expect(run.error?.message).toContain('criteria.greeting.passed: got "yes", expected true or false');
    expect((await t.store.calls.require(fx.call.id)).evaluation).toBeNull();
  });

  it('summarizes through the summarizer service into calls.summary', async () => {
    const fx = await setup(true);
    await fx.attach('sum', 'summarize-call', { max_words: 20 }, 'after');
    llm.reply({ content: 'Ann Lee booked a premium table for four on March 20 with parking.' });
    const run = await fx.runAfter('sum');
    expect(run.outputs).toMatchObject({
      source: 'llm',
      summary: 'Ann Lee booked a premium table for four on March 20 with parking.',
    });
    expect((await t.store.calls.require(fx.call.id)).summary).toBe(run.outputs.summary);
    expect(llm.seen[0]!.body.tools).toBeUndefined();
    expect((llm.seen[0]!.body.messages as Array<{ content: string }>)[0]!.content).toContain(
      'at most 20 words',
    );
  });

  it('JSON mode: response_format json_object and the content parsed as an object', async () => {
    const client = new OpenAiChatClient({ base_url: llm.baseUrl, api_key: '', model: 'm', timeout_ms: 2000 });
    llm.reply({ content: '```json\n{"ok": true}\n```' });
    const reply = await client.complete({ messages: [{ role: 'user', content: 'hi' }], json: true });
    expect(llm.seen[0]!.body.response_format).toEqual({ type: 'json_object' });
    expect(llm.seen[0]!.headers.authorization).toBeUndefined();
    expect(structuredReply(reply)).toEqual({ ok: true });
  });
});

describe('without an LLM', () => {
  it('extracts with regex and keywords, evaluates by keywords, summarizes extractively', async () => {
    const fx = await setup(false);
    await fx.attach(
      'extract',
      'extract-data',
      { fields: [...FIELDS, { name: 'table', type: 'text', pattern: 'table for (\\d+)' }] },
      'during',
    );
    await fx.attach('eval', 'evaluate-call', { criteria: CRITERIA }, 'after');
    await fx.attach('sum', 'summarize-call', { max_words: 12 }, 'after');
    const r = await (
      await fx.engine.session({ agentId: fx.agent.id, callId: fx.call.id })
    ).runStage('during');
    expect(r.runs[0]!.outputs).toMatchObject({
      source: 'rules',
      fields: {
        party_size: 4,
        name: 'Ann Lee',
        wants_parking: true,
        plan: 'premium',
        visit_date: '2026-03-20',
        table: '4',
      },
      invalid: [],
    });
    const evaluation = await fx.runAfter('eval');
    expect(evaluation.outputs).toMatchObject({
      score: 100,
      passed: true,
      unjudged: ['empathy'],
      source: 'keywords',
    });
    const summary = await fx.runAfter('sum');
    expect(summary.outputs.summary).toBe('Caller said: Hi, this is Ann Lee. I would like a table…');
    expect(await t.store.calls.require(fx.call.id)).toMatchObject({
      summary: summary.outputs.summary,
      evaluation: { score: 100 },
    });
    expect(llm.seen).toHaveLength(0);
  });

  it('refuses on save an enum without values, a bad regex and a duplicate name, naming the field', async () => {
    const fx = await setup(false);
    await expect(async () =>
      fx.engine.definitions.create({
        name: 'x',
        type: 'extract-data',
        config: { fields: [{ name: 'a', type: 'enum' }] },
      }),
    ).rejects.toThrow(/config\.fields\.0\.values/);
    await expect(async () =>
      fx.engine.definitions.create({
        name: 'y',
        type: 'extract-data',
        config: { fields: [{ name: 'a', type: 'text', pattern: '(' }] },
      }),
    ).rejects.toThrow(/config\.fields\.0\.pattern/);
    await expect(async () =>
      fx.engine.definitions.create({
        name: 'z',
        type: 'extract-data',
        config: {
          fields: [
            { name: 'a', type: 'text' },
            { name: 'a', type: 'number' },
          ],
        },
      }),
    ).rejects.toThrow(/config\.fields\.1\.name/);
  });
});
