/**
 * The `llm` agent on a call (fake telephony port, real store and engine) against a local server that
 * speaks OpenAI's chat-completions wire format: tools are the attached actions, results go back to the
 * model as tool messages, bad tool calls are answered with tool errors, fillers, idle reprompts, the
 * fallback when the model fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  startChatServer,
  type ChatServer,
  type ReplySpec,
} from '../../helpers/llm-providers/openai-chat-server.js';
import { callsFixture } from '../calls/calls-fixture.js';
import { until } from '../integrations/integration-fixture.js';

type Json = Record<string, unknown>;
type Message = { role: string; content?: string | null; tool_calls?: Json[]; tool_call_id?: string };

let fx: Awaited<ReturnType<typeof callsFixture>> | undefined;
let llm: ChatServer | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
  await llm?.close();
  llm = undefined;
});

function last(body: Json): Message {
  const messages = body.messages as Message[];
  return messages[messages.length - 1]!;
}

async function setup(
  reply: (body: Json, index: number) => ReplySpec | Promise<ReplySpec>,
  config: Json = {},
  tools: Array<{ name: string; type: string; config: Json }> = [],
  policy?: Json,
) {
  llm = await startChatServer({ apiKey: 'sk-test', reply });
  fx = await callsFixture({ default_agent: 'brain' });
  process.env.CALLWRIGHT_TEST_LLM_KEY = 'sk-test';
  const agent = await fx.store.agents.create({
    name: 'brain',
    kind: 'llm',
    config: {
      base_url: llm.url,
      api_key_env: 'CALLWRIGHT_TEST_LLM_KEY',
      model: 'gpt-test',
      system_prompt: 'You help {{ call.from }}.',
      first_message: 'Hello, how can I help?',
      idle: { enabled: false },
      ...config,
    },
  });
  for (const t of tools) await fx.attach(agent.id, t.name, t.type, t.config, 'during', [{ kind: 'tool' }]);
  if (policy)
    fx.store.db
      .prepare('UPDATE agent_actions SET failure_policy = ? WHERE agent_id = ?')
      .run(JSON.stringify(policy), agent.id);
  const { call } = fx.telephony.incoming('+14155550100', '100');
  const leg = await call.answered;
  const id = (await fx.store.calls.all())[0]!.id;
  return { leg, id, agentId: agent.id };
}

async function lines(callId: string, speaker: 'agent' | 'caller'): Promise<string[]> {
  return (await fx!.events(callId))
    .filter((e) => e.type === 'transcript' && e.data.speaker === speaker)
    .map((e) => String(e.data.text));
}

describe('llm agent', () => {
  it('greets, calls an attached action as a tool with the caller’s argument, and speaks the answer', async () => {
    const { id, leg } = await setup(
      (body) => {
        const m = last(body);
        if (m.role === 'user' && /order/.test(String(m.content)))
          return { toolCalls: [{ name: 'lookup', arguments: { n: 123 } }] };
        if (m.role === 'tool') {
          const result = JSON.parse(String(m.content)) as { outputs: { text: string; n: number } };
          return { content: `Order ${result.outputs.n} is ${result.outputs.text}. Anything else?` };
        }
        return { content: 'Sorry?' };
      },
      {},
      [{ name: 'lookup', type: 'test-echo', config: { text: 'shipped' } }],
    );
    await until(async () => (await lines(id, 'agent')).length === 1);
    await fx!.manager.transcript(id, { text: 'where is my order 123', final: true, speaker: 'caller' });
    await until(async () => (await lines(id, 'agent')).some((l) => l.includes('shipped')), 10_000);
    const said = await lines(id, 'agent');
    expect(said[0]).toBe('Hello, how can I help?');
    // The filler line played while the tool ran, before the answer.
    expect(said.slice(1)).toEqual(['One moment, please.', 'Order 123 is shipped. Anything else?']);
    // The model saw the rendered system prompt, the greeting, the caller, its tool call and the result.
    const body = llm!.requests.at(-1)!.body;
    const messages = body.messages as Message[];
    expect(messages[0]).toEqual({ role: 'system', content: 'You help +14155550100.' });
    expect(messages.map((m) => m.role)).toEqual(['system', 'assistant', 'user', 'assistant', 'tool']);
    expect(messages[3]?.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'lookup' } });
    expect(JSON.parse(String(messages[4]?.content))).toMatchObject({ ok: true, outputs: { n: 123 } });
    const tools = body.tools as Array<{ function: { name: string } }>;
    expect(tools.map((t) => t.function.name)).toEqual([
      'lookup',
      'end_call',
      'transfer_call',
      'leave_voicemail',
      'send_dtmf',
      'collect_values',
    ]);
    // The run is in the execution history, fired by the tool call; the decision is a call event.
    expect(fx!.runs(id)).toEqual([{ action_type: 'test-echo', stage: 'during', status: 'succeeded' }]);
    // The turn's latency breakdown: the line came as text, the model's first token, the answer's first packet.
    const turn = (await fx!.events(id)).find((e) => e.type === 'turn')?.data ?? {};
    expect(turn).toMatchObject({ text_only: true, final_transcript: 0 });
    expect(Number(turn.first_token)).toBeGreaterThanOrEqual(0);
    expect(Number(turn.first_packet)).toBeGreaterThanOrEqual(Number(turn.first_token));
    const decision = (await fx!.events(id)).find((e) => e.type === 'decision');
    expect(decision?.data).toMatchObject({ tool: 'lookup', arguments: { n: 123 }, result: { ok: true } });
    await leg.hangup();
  });

  it('a made-up tool and bad arguments get tool errors back; the model recovers; nothing crashes', async () => {
    const { id, leg } = await setup(
      (body, i) => {
        const m = last(body);
        if (i === 0) return { content: 'Hi.' };
        if (m.role === 'user') return { toolCalls: [{ name: 'teleport', arguments: {} }] };
        if (m.role === 'tool' && i === 2)
          return { toolCalls: [{ name: 'lookup', arguments: { n: 'many' } }] };
        if (m.role === 'tool' && i === 3) return { toolCalls: [{ name: 'lookup', arguments: '{"n": 1' }] };
        return { content: 'I could not do that, sorry.' };
      },
      { first_message: undefined },
      [{ name: 'lookup', type: 'test-echo', config: { text: 'x' } }],
    );
    // No first message: the model greets.
    await until(async () => (await lines(id, 'agent')).includes('Hi.'));
    await fx!.manager.transcript(id, { text: 'do something', final: true, speaker: 'caller' });
    await until(async () => (await lines(id, 'agent')).includes('I could not do that, sorry.'), 10_000);
    const tools = (llm!.requests.at(-1)!.body.messages as Message[]).filter((m) => m.role === 'tool');
    const errors = tools.map(
      (t) => (JSON.parse(String(t.content)) as { error: { code: string; message: string } }).error,
    );
    expect(errors[0]).toMatchObject({ code: 'UNKNOWN_TOOL' });
    expect(errors[0]?.message).toContain('lookup');
    expect(errors[1]).toMatchObject({ code: 'VALIDATION' });
    expect(errors[2]).toMatchObject({ code: 'BAD_ARGUMENTS' });
    expect((await fx!.store.calls.get(id))?.ended_at).toBeNull();
    await leg.hangup();
  });

  it('a declined transfer comes back to the model with the SIP status, and the model says so', async () => {
    const { id, leg } = await setup((body) => {
      const m = last(body);
      if (m.role === 'user')
        return { toolCalls: [{ name: 'transfer_call', arguments: { target: 'sales', mode: 'warm' } }] };
      if (m.role === 'tool') {
        const r = JSON.parse(String(m.content)) as { ok: boolean; reason?: string; sip_status?: number };
        return {
          content: r.ok ? 'Connected.' : `Sales ${r.reason} the call (${r.sip_status}). Can I help instead?`,
        };
      }
      return { content: 'Hi.' };
    });
    await fx!.store.agents.update((await fx!.store.agents.all())[0]!.id, {
      targets: { sales: { type: 'sip', uri: 'sip:sales@127.0.0.1:5999' } },
    });
    fx!.telephony.script('sip:sales@127.0.0.1:5999', { fail: { outcome: 'rejected', status: 603 } });
    await until(async () => (await lines(id, 'agent')).length === 1);
    await fx!.manager.transcript(id, { text: 'put me through to sales', final: true, speaker: 'caller' });
    await until(async () => (await lines(id, 'agent')).some((l) => l.startsWith('Sales')), 15_000);
    expect((await lines(id, 'agent')).at(-1)).toBe('Sales declined the call (603). Can I help instead?');
    await leg.hangup();
  });

  it('after caller silence it reprompts, then hangs up politely with the no-response disposition', async () => {
    const { id } = await setup(() => ({ content: 'Hi.' }), {
      idle: { after_ms: 1000, max_reprompts: 1 },
    });
    const row = await (async () => {
      await until(async () => (await fx!.store.calls.get(id))?.ended_at !== null, 10_000);
      return (await fx!.store.calls.get(id))!;
    })();
    expect(await lines(id, 'agent')).toEqual([
      'Hello, how can I help?',
      'Are you still there?',
      "I haven't heard anything, so I'll end the call now. Goodbye.",
    ]);
    expect(row.call_disposition).toBe('no-response');
    expect(row.hangup_by).toBe('agent');
  });

  it('when the model fails (500 after the retry) the caller hears the fallback and the call ends', async () => {
    const { id } = await setup(() => ({ error: { status: 500, message: 'The server had an error' } }), {
      first_message: undefined,
      fallback: { say: 'Sorry, please call back later.' },
    });
    await until(async () => (await fx!.store.calls.get(id))?.ended_at !== null, 10_000);
    expect(await lines(id, 'agent')).toEqual(['Sorry, please call back later.']);
    const error = (await fx!.events(id)).find((e) => e.type === 'agent-error');
    expect(String(error?.data.message)).toContain('500');
    expect(llm!.requests.length).toBe(2);
  });

  it('a background tool answers "running" at once; its result is spoken when it arrives', async () => {
    const { id, leg } = await setup(
      (body) => {
        const messages = body.messages as Message[];
        const m = last(body);
        if (m.role === 'user') return { toolCalls: [{ name: 'lookup', arguments: { n: 7 } }] };
        if (m.role === 'tool') return { content: 'I have started that for you.' };
        if (m.role === 'system' && messages.length > 1) return { content: 'It is done: the result is 7.' };
        return { content: 'Hi.' };
      },
      { tools: { lookup: { background: true, filler: false } } },
      [{ name: 'lookup', type: 'test-echo', config: { text: 'x' } }],
    );
    await until(async () => (await lines(id, 'agent')).length === 1);
    await fx!.manager.transcript(id, { text: 'start it', final: true, speaker: 'caller' });
    await until(async () => (await lines(id, 'agent')).includes('It is done: the result is 7.'), 10_000);
    const tool = (llm!.requests[1]!.body.messages as Message[]).find((m) => m.role === 'tool');
    expect(JSON.parse(String(tool?.content))).toMatchObject({ ok: true, status: 'running' });
    await leg.hangup();
  });

  it('past max_tool_calls_per_turn the model is told to answer, and the turn ends with its answer', async () => {
    const { id, leg } = await setup(
      (body) => {
        const m = last(body);
        if (m.role === 'tool' && String(m.content).includes('TOO_MANY_TOOL_CALLS'))
          return { content: 'Here is what I found.' };
        if (m.role === 'user' || m.role === 'tool')
          return { toolCalls: [{ name: 'lookup', arguments: { n: 1 } }] };
        return { content: 'Hi.' };
      },
      { max_tool_calls_per_turn: 2, tools: { lookup: { filler: false } } },
      [{ name: 'lookup', type: 'test-echo', config: { text: 'x' } }],
    );
    await until(async () => (await lines(id, 'agent')).length === 1);
    await fx!.manager.transcript(id, { text: 'look it up again and again', final: true, speaker: 'caller' });
    await until(async () => (await lines(id, 'agent')).includes('Here is what I found.'), 10_000);
    expect(fx!.runs(id)).toHaveLength(2);
    await leg.hangup();
  });

  it('a failed tool: the filler lines, then the action’s own fallback message, each heard whole', async () => {
    const { id, leg } = await setup(
      (body) => {
        const m = last(body);
        if (m.role === 'user') return { toolCalls: [{ name: 'flaky', arguments: {} }] };
        if (m.role === 'tool') return { content: 'I could not reach the system.' };
        return { content: 'Hi.' };
      },
      { first_message: 'Hello.' },
      [{ name: 'flaky', type: 'test-flaky', config: { failures: 5, permanent: true } }],
      { on_failure: 'fallback', fallback_message: 'Our order system is down.' },
    );
    await until(async () => (await lines(id, 'agent')).length === 1);
    await fx!.manager.transcript(id, { text: 'check my order', final: true, speaker: 'caller' });
    await until(async () => (await lines(id, 'agent')).includes('I could not reach the system.'), 10_000);
    expect(await lines(id, 'agent')).toEqual([
      'Hello.',
      'One moment, please.',
      "Hmm, that didn't work.",
      'Our order system is down.',
      'I could not reach the system.',
    ]);
    // None was cut off by the next one.
    const cut = (await fx!.events(id)).filter((e) => e.type === 'transcript' && e.data.interrupted);
    expect(cut).toEqual([]);
    await leg.hangup();
  });

  it('refuses a config with a bad template or an unknown built-in, naming the field', async () => {
    fx = await callsFixture();
    const { validateAgentConfig } = await import('../../../src/agent/create-agent.js');
    expect(() => validateAgentConfig('llm', { system_prompt: 'Hi {{ call.from ' }, 'agent.config')).toThrow(
      /agent\.config\.system_prompt/,
    );
    expect(() =>
      validateAgentConfig('llm', { system_prompt: 'Hi', builtins: ['fly'] }, 'agent.config'),
    ).toThrow(/agent\.config\.builtins/);
  });
});
