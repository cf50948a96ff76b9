/**
 * Acceptance on the embedded backend, two real servers: an `llm` agent places a call (`POST /calls`) to
 * a phone menu, hears it (pocketsphinx on the menu's espeak-ng audio) and presses the key for the
 * option its instructions ask for. The menu is a second Callwright server running a scripted agent
 * (say the menu, gather one key, branch, collect the branch reached); its call events are the log of
 * the keys it got. The model is the chat-completions wire double answering with a rule-based brain
 * that reads its goal from the system prompt and the menu from what the agent heard.
 * Port block: 31500-31999 (the navigator's API 31590 and RTP 31600-31799, the menu's API 31591 and
 * RTP 31800-31999).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startChatServer,
  type ChatServer,
  type ReplySpec,
} from '../../../helpers/llm-providers/openai-chat-server.js';
import { startAcceptanceServer, type AcceptanceServer } from './acceptance-server.js';
import { digitOf, lastMessage, type WireMessage } from './llm-agent-flow.js';

type Json = Record<string, unknown>;

const BASE = 31500;
const KEY_ENV = 'CALLWRIGHT_E2E_IVR_LLM_KEY';
const MENU_NUMBER = '+14155550901';
const MENU = 'For billing press one. For sales press two. For technical support press three.';

/**
 * What a model would do on a call to a phone menu: take the goal from its instructions ("reach
 * technical support"), read the options out of what it heard so far ("for <option> press <key>"), and
 * press the key of the option that shares a word with the goal; until then, and after, say nothing.
 */
function navigatorBrain(body: Json): ReplySpec {
  const messages = body.messages as WireMessage[];
  const pressed = messages.some((m) => m.tool_calls?.some((c) => c.function.name === 'send_dtmf'));
  if (pressed || lastMessage(body).role !== 'user') return { content: '' };
  const system = String(messages.find((m) => m.role === 'system')?.content ?? '').toLowerCase();
  const goal =
    /goal is to reach ([a-z ]+)/
      .exec(system)?.[1]
      ?.split(' ')
      .filter((w) => w.length > 3) ?? [];
  const heard = messages
    .filter((m) => m.role === 'user')
    .map((m) => String(m.content).toLowerCase())
    .join(' ');
  const options = [
    ...[...heard.matchAll(/for ((?:[a-z]+ ){0,3}?[a-z]+) press ([a-z0-9]+)/g)].map((o) => ({
      option: o[1]!,
      key: digitOf(o[2]!),
    })),
    ...[...heard.matchAll(/press ([a-z0-9]+) for ((?:[a-z]+ ){0,3}?[a-z]+)/g)].map((o) => ({
      option: o[2]!,
      key: digitOf(o[1]!),
    })),
  ];
  const wanted = options.find((o) => o.key !== undefined && goal.some((w) => o.option.includes(w)));
  if (!wanted) return { content: '' };
  return { toolCalls: [{ name: 'send_dtmf', arguments: { digits: wanted.key! } }] };
}

describe('acceptance (embedded): an llm agent calls a phone menu and presses the key for its goal', () => {
  let navigator: AcceptanceServer;
  let menu: AcceptanceServer;
  let chat: ChatServer;

  beforeAll(async () => {
    process.env[KEY_ENV] = 'sk-e2e-navigator';
    chat = await startChatServer({ apiKey: 'sk-e2e-navigator', reply: (body) => navigatorBrain(body) });
    menu = await startAcceptanceServer(BASE, {
      api: { port: BASE + 91 },
      media: { rtp_port_min: BASE + 300, rtp_port_max: BASE + 499 },
      // The menu only listens for keys.
      speech: { recognizer: 'none' },
    });
    await menu.setupAgent({
      name: 'menu',
      number: MENU_NUMBER,
      steps: [
        // Like a real menu it repeats itself when no key comes: a line misheard once is heard again.
        { id: 'menu', gather: { input: 'dtmf', prompt: MENU, max_digits: 1, timeout_ms: 4000 } },
        {
          branch: [
            { dtmf: '1', goto: 'billing' },
            { dtmf: '2', goto: 'sales' },
            { dtmf: '3', goto: 'support' },
            { default: true, goto: 'menu' },
          ],
        },
        { id: 'billing', collect: { reached: 'billing' } },
        { hangup: { say: 'Billing is closed today. Goodbye.' } },
        { id: 'sales', collect: { reached: 'sales' } },
        { hangup: { say: 'Sales is closed today. Goodbye.' } },
        { id: 'support', collect: { reached: 'support' } },
        { hangup: { say: 'You have reached technical support. Goodbye.' } },
      ],
    });
    navigator = await startAcceptanceServer(BASE, {
      media: { rtp_port_min: BASE + 100, rtp_port_max: BASE + 299 },
      speech: { recognizer: 'pocketsphinx' },
    });
    await navigator.setupAgent({
      name: 'navigator',
      kind: 'llm',
      config: {
        base_url: chat.url,
        api_key_env: KEY_ENV,
        model: 'navigator-brain-1',
        system_prompt:
          'You call a company on behalf of a customer. Your goal is to reach technical support. ' +
          'When you hear a phone menu, press the key for that option with send_dtmf; say nothing to a recording.',
        idle: { enabled: false },
      },
      // Free dictation of the menu's synthetic voice on 8 kHz audio is mostly wrong ("all we want all
      // you all the old boy we"); the menu's phrases as hints let the phrase search find them.
      // The phrase search finds one phrase per utterance, and the menu's sentences are 300 ms apart: a
      // short end of turn makes each option a line of its own.
      speech: {
        recognizer: 'pocketsphinx',
        hints: MENU.toLowerCase()
          .split('. ')
          .map((s) => s.replace(/\.$/, '')),
        end_of_turn_ms: 200,
      },
    });
  });
  afterAll(async () => {
    await navigator?.stop();
    await menu?.stop();
    await chat?.close();
    delete process.env[KEY_ENV];
  });

  it('POST /calls to the menu: the agent hears the options, presses 3 for technical support, the menu takes that branch', async () => {
    const placed = await navigator.api('POST', '/calls', {
      agent: 'navigator',
      to: `sip:${MENU_NUMBER}@${menu.sipTarget}`,
      from: '+14155550100',
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(202);
    const callId = String(placed.body.call_id);
    const menuCall = await menu.callTo(MENU_NUMBER, 15_000);
    const ended = await menu
      .callWhen(menuCall.id, (c) => c.state === 'ended', 45_000)
      .catch(async (err: Error) => {
        const heard = (await navigator.events(callId)).filter((e) => e.type === 'transcript');
        throw new Error(`${err.message}; the navigator heard: ${JSON.stringify(heard.map((e) => e.data))}`);
      });
    const heard = (await navigator.events(callId))
      .filter((e) => e.type === 'transcript' && e.data.speaker === 'caller')
      .map((e) => String(e.data.text));
    console.log(`the navigator heard: ${JSON.stringify(heard)}`);
    // The menu's log: the keys it got, and the branch reached.
    const keys = (await menu.events(menuCall.id)).filter((e) => e.type === 'dtmf').map((e) => e.data.digit);
    expect(keys).toEqual(['3']);
    expect(ended.collected).toMatchObject({ reached: 'support' });
    // The navigator's side: the model's decision, and the keys sent.
    const events = await navigator.events(callId);
    expect(events.find((e) => e.type === 'decision')?.data).toMatchObject({
      tool: 'send_dtmf',
      arguments: { digits: '3' },
      result: { ok: true, sent: '3' },
    });
    expect(events.find((e) => e.type === 'dtmf-sent')?.data).toMatchObject({ digits: '3' });
    const call = await navigator.callWhen(callId, (c) => c.state === 'ended');
    expect(call).toMatchObject({ direction: 'outbound', hangup_by: 'callee' });
    // The model decided from what it heard: the request that pressed the key carried the menu.
    const request = chat.requests.find((r) =>
      (r.body.messages as WireMessage[]).some((m) =>
        m.tool_calls?.some((c) => c.function.name === 'send_dtmf'),
      ),
    );
    expect(request).toBeDefined();
    // Its silent replies while it listened left no empty assistant messages (OpenAI would refuse them).
    for (const r of chat.requests)
      for (const m of r.body.messages as WireMessage[])
        if (m.role === 'assistant') expect(m.content ?? m.tool_calls, JSON.stringify(m)).toBeTruthy();
  }, 60_000);
});
