/**
 * The `llm` agent when the model answers with nothing (no words, no tool calls), as a model listening
 * to a phone menu does: the history it sends next must still be one OpenAI accepts, where an assistant
 * message has content unless it has tool calls.
 */
import { afterEach, expect, it } from 'vitest';
import { startChatServer, type ChatServer } from '../../helpers/llm-providers/openai-chat-server.js';
import { callsFixture } from '../calls/calls-fixture.js';
import { until } from '../integrations/integration-fixture.js';

type Message = { role: string; content?: string | null; tool_calls?: unknown[] };

let fx: Awaited<ReturnType<typeof callsFixture>> | undefined;
let llm: ChatServer | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
  await llm?.close();
  llm = undefined;
  delete process.env.CALLWRIGHT_TEST_SILENT_LLM_KEY;
});

it('a silent model reply leaves no assistant message without content or tool calls in the next request', async () => {
  // Silent until the menu names the option it wants, as in an IVR.
  llm = await startChatServer({
    apiKey: 'sk-test',
    reply: (body) => {
      const messages = body.messages as Message[];
      const last = messages[messages.length - 1]!;
      return { content: last.role === 'user' && /support/.test(String(last.content)) ? 'Three.' : '' };
    },
  });
  fx = await callsFixture({ default_agent: 'brain' });
  process.env.CALLWRIGHT_TEST_SILENT_LLM_KEY = 'sk-test';
  await fx.store.agents.create({
    name: 'brain',
    kind: 'llm',
    config: {
      base_url: llm.url,
      api_key_env: 'CALLWRIGHT_TEST_SILENT_LLM_KEY',
      model: 'gpt-test',
      system_prompt: 'Reach technical support.',
      idle: { enabled: false },
    },
  });
  const { call } = fx.telephony.incoming('+14155550100', '100');
  const leg = await call.answered;
  const id = (await fx.store.calls.all())[0]!.id;
  // The model is asked first with only its instructions, and says nothing.
  await until(() => llm!.requests.length === 1);
  await fx.manager.transcript(id, { text: 'for billing press one', final: true, speaker: 'caller' });
  await until(() => llm!.requests.length === 2);
  await fx.manager.transcript(id, {
    text: 'for technical support press three',
    final: true,
    speaker: 'caller',
  });
  await until(async () =>
    (await fx!.events(id)).some(
      (e) => e.type === 'transcript' && e.data.speaker === 'agent' && e.data.text === 'Three.',
    ),
  );
  const messages = llm.requests.at(-1)!.body.messages as Message[];
  expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'user']);
  for (const r of llm.requests)
    for (const m of r.body.messages as Message[])
      if (m.role === 'assistant') expect(m.content ?? m.tool_calls, JSON.stringify(m)).toBeTruthy();
  expect(llm.requests.every((r) => r.status === 200)).toBe(true);
  await leg.hangup();
});
