import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RealtimeAgent } from '../../../src/agent/realtime/realtime-agent.js';
import type { AgentCommand } from '../../../src/agent/agent.js';
import {
  espeak,
  startRealtimeServer,
  type RealtimeServer,
  type RealtimeServerOptions,
} from '../../helpers/llm-providers/openai-realtime-server.js';
import { realtimeCallContext, until, type RealtimeCallContext } from './realtime-fixture.js';

const LOOKUP = {
  name: 'lookup_order',
  description: 'Looks up an order by its number',
  parameters: {
    type: 'object',
    properties: { order: { type: 'string' } },
    required: ['order'],
    additionalProperties: false,
  },
};

let question: Int16Array;
let servers: RealtimeServer[] = [];
let calls: RealtimeCallContext[] = [];

/** Caller speech at 8 kHz with 300 ms of silence before and 900 ms after (the VAD's end of turn). */
function withSilence(speech: Int16Array): Int16Array {
  const out = new Int16Array(speech.length + 2400 + 7200);
  out.set(speech, 2400);
  return out;
}

beforeAll(() => {
  question = withSilence(espeak('Where is my order one two three?', 8000));
});

afterEach(async () => {
  for (const c of calls) c.controller.abort();
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  calls = [];
});

async function setup(
  config: Record<string, unknown> = {},
  serverOptions: RealtimeServerOptions = {},
  action?: Parameters<typeof realtimeCallContext>[0]['action'],
): Promise<{
  server: RealtimeServer;
  agent: RealtimeAgent;
  call: RealtimeCallContext;
  started: AgentCommand[];
}> {
  const server = await startRealtimeServer(serverOptions);
  servers.push(server);
  process.env.REALTIME_TEST_KEY = server.apiKey;
  process.env.REALTIME_WRONG_KEY = 'sk-wrong';
  const agent = new RealtimeAgent({
    url: server.url,
    model: 'gpt-realtime-test',
    api_key_env: 'REALTIME_TEST_KEY',
    instructions: 'You help callers from {{ call.from }} with {{ data.topic }}.',
    transcription_model: 'whisper-1',
    ...config,
  });
  const call = realtimeCallContext({ tools: [LOOKUP], variables: { topic: 'orders' }, action });
  calls.push(call);
  const started = await agent.handle({ type: 'call-started', call: {}, variables: {} }, call.ctx);
  return { server, agent, call, started };
}

describe('realtime agent against an OpenAI Realtime server', () => {
  it('configures the session, streams the caller up and plays the spoken answer', async () => {
    const { server, call, started } = await setup();
    expect(started).toEqual([]);
    const session = server.sessions[0]!;
    expect(session.query.get('model')).toBe('gpt-realtime-test');
    expect(session.headers['openai-beta']).toBe('realtime=v1');
    const update = server.clientEvents('session.update')[0]!.session as Record<string, unknown>;
    expect(update.instructions).toBe('You help callers from +15551230000 with orders.');
    expect(update.input_audio_format).toBe('g711_ulaw');
    expect(update.output_audio_format).toBe('g711_ulaw');
    expect(update.input_audio_transcription).toEqual({ model: 'whisper-1' });
    expect(update.turn_detection).toMatchObject({ type: 'server_vad' });
    expect((update.tools as { name: string; type: string }[]).map((t) => [t.type, t.name])).toContainEqual([
      'function',
      'lookup_order',
    ]);

    server.callerSays.push('Where is my order one two three?');
    server.respond = (turn) =>
      turn.reason === 'speech' ? { say: `You asked: ${turn.transcript ?? ''}` } : undefined;
    await call.audio.speak(question, false);
    await until(() => call.audio.plays[0]?.outcome !== undefined, 15_000, 'the answer to play');

    const play = call.audio.plays[0]!;
    expect(play.outcome?.status).toBe('completed');
    expect(play.sampleRate).toBe(8000);
    const item = [...session.itemAudioMs.values()][0]!;
    expect(Math.abs(play.outcome!.durationMs - item)).toBeLessThan(60);
    // Appends are batched: 100 ms of µ-law (800 bytes → 1068 base64 characters) each.
    const appends = server.clientEvents('input_audio_buffer.append');
    expect(appends.length).toBeGreaterThan(10);
    expect(appends[0]!.audio).toBe(1068);
    await until(() => call.lines().length === 2, 5000, 'the two lines');
    expect(call.lines()).toEqual([
      { speaker: 'caller', text: 'Where is my order one two three?' },
      { speaker: 'agent', text: 'You asked: Where is my order one two three?' },
    ]);
  });

  it('runs the function the model calls as the tool and answers with its result', async () => {
    const { server, call } = await setup({}, {}, (c) => ({
      type: 'action-result',
      action: c.name,
      ok: true,
      outputs: { status: 'shipped', order: c.args?.order },
      ...(c.ref ? { ref: c.ref } : {}),
    }));
    server.respond = (turn) => {
      if (turn.reason === 'speech')
        return { say: 'Let me check.', call: { name: 'lookup_order', arguments: { order: '123' } } };
      const out = turn.outputs[0]?.output as { outputs?: { status?: string } } | undefined;
      return {
        say: `Your order is ${JSON.stringify(out ?? {}).includes('shipped') ? 'shipped' : 'unknown'}.`,
      };
    };
    await call.audio.speak(question, false);
    await until(() => call.audio.plays.filter((p) => p.outcome).length === 2, 20_000, 'both replies to play');

    const action = call.performed.find((c) => c.type === 'action') as Extract<
      AgentCommand,
      { type: 'action' }
    >;
    expect(action).toMatchObject({ name: 'lookup_order', args: { order: '123' } });
    const output = server.clientEvents('conversation.item.create')[0]!.item as Record<string, unknown>;
    expect(output.type).toBe('function_call_output');
    expect(typeof output.call_id).toBe('string');
    expect(JSON.stringify(JSON.parse(output.output as string))).toContain('shipped');
    expect(server.clientEvents('response.create')).toHaveLength(1);
    await until(() => call.lines().filter((l) => l.speaker === 'agent').length === 2, 5000, 'agent lines');
    expect(
      call
        .lines()
        .filter((l) => l.speaker === 'agent')
        .map((l) => l.text),
    ).toEqual(['Let me check.', 'Your order is shipped.']);
  });

  it('answers a function the agent does not have with an error the model can read', async () => {
    const { server, call } = await setup();
    server.respond = (turn) =>
      turn.reason === 'speech'
        ? { call: { name: 'launch_rocket', arguments: { when: 'now' } } }
        : { say: 'Sorry, I cannot do that.' };
    await call.audio.speak(question, false);
    await until(() => call.audio.plays[0]?.outcome !== undefined, 15_000, 'the apology to play');
    const output = server.clientEvents('conversation.item.create')[0]!.item as { output: string };
    expect(JSON.parse(output.output)).toMatchObject({ ok: false });
    expect(call.performed.some((c) => c.type === 'action')).toBe(false);
    expect(call.recorded).toContainEqual({
      type: 'decision',
      data: expect.objectContaining({ tool: 'launch_rocket', arguments: { when: 'now' } }) as unknown,
    });
  });

  it('lets the goodbye play out before end_call hangs up, and asks for nothing more', async () => {
    const { server, call } = await setup();
    server.respond = (turn) =>
      turn.reason === 'speech'
        ? {
            say: 'Thank you for calling, goodbye.',
            call: { name: 'end_call', arguments: { reason: 'done' } },
          }
        : undefined;
    await call.audio.speak(question, false);
    await until(() => call.performed.some((c) => c.type === 'hangup'), 15_000, 'the hang-up');
    const play = call.audio.plays[0]!;
    expect(play.outcome?.status).toBe('completed');
    expect(call.performed.find((c) => c.type === 'hangup')).toMatchObject({ type: 'hangup' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.clientEvents('response.create')).toHaveLength(0);
    expect(server.sessions[0]!.closed).toBe(true);
  });

  it('stops a reply the caller talks over and truncates it to what was heard', async () => {
    const long =
      'Thank you for calling. Our opening hours are nine to five on weekdays, ten to two on Saturdays, and we are closed on Sundays and public holidays. ' +
      'You can also reach us by email at any time, and we answer within one working day.';
    const { server, call } = await setup({ first_message: 'Hello {{ data.topic }} line' });
    server.respond = (turn) => (turn.reason === 'response.create' ? { say: long } : undefined);
    await until(() => server.clientEvents('response.create').length === 1, 5000, 'the greeting request');
    const create = server.clientEvents('response.create')[0]!;
    expect(String((create.response as { instructions: string }).instructions)).toContain('Hello orders line');
    await until(() => call.audio.plays.length === 1, 10_000, 'the greeting to start');
    // The caller listens for about 1.5 s, then talks over the agent.
    await call.audio.silence(1500);
    const speaking = call.audio.speak(question);
    await until(() => call.audio.plays[0]?.outcome !== undefined, 5000, 'the greeting to stop');
    await speaking;

    const total = [...server.sessions[0]!.itemAudioMs.values()][0]!;
    const heard = call.audio.plays[0]!.outcome!;
    expect(heard.status).toBe('interrupted');
    expect(total).toBeGreaterThan(8000);
    await until(() => server.clientEvents('conversation.item.truncate').length === 1, 5000, 'the truncate');
    const truncate = server.clientEvents('conversation.item.truncate')[0]!;
    expect(truncate.content_index).toBe(0);
    expect(truncate.audio_end_ms).toBe(heard.durationMs);
    expect(heard.durationMs).toBeGreaterThan(1200);
    expect(heard.durationMs).toBeLessThan(4000);
    expect(server.clientEvents('error')).toEqual([]);
    await until(() => call.lines().some((l) => l.speaker === 'agent'), 5000, 'the agent line');
    const line = call.lines().find((l) => l.speaker === 'agent')!.text;
    expect(line.endsWith('…')).toBe(true);
    expect(line.length).toBeLessThan(long.length / 2);
    expect(long.startsWith(line.slice(0, -1))).toBe(true);
  });

  it('tells the model what was heard of a reply the call stopped by itself', async () => {
    const { server, call } = await setup({ first_message: 'Hello' });
    server.respond = () => ({
      say: 'We are open from nine in the morning until five in the evening, every weekday.',
    });
    await until(() => call.audio.plays.length === 1, 10_000, 'the greeting to start');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    call.audio.interruptPlaying();
    await until(() => server.clientEvents('conversation.item.truncate').length === 1, 5000, 'the truncate');
    const heard = call.audio.plays[0]!.outcome!;
    expect(heard.status).toBe('interrupted');
    expect(server.clientEvents('conversation.item.truncate')[0]!.audio_end_ms).toBe(heard.durationMs);
    await until(() => call.lines().some((l) => l.speaker === 'agent'), 5000, 'the agent line');
    expect(
      call
        .lines()
        .find((l) => l.speaker === 'agent')!
        .text.endsWith('…'),
    ).toBe(true);
  });

  it('passes keys the caller presses to the model as one message', async () => {
    const { server, agent, call } = await setup();
    server.respond = (turn) => (turn.reason === 'response.create' ? { say: 'You pressed keys.' } : undefined);
    for (const digit of ['4', '2', '#']) await agent.handle({ type: 'dtmf', digit }, call.ctx);
    await until(() => server.clientEvents('response.create').length === 1, 5000, 'the response request');
    const items = server.clientEvents('conversation.item.create');
    expect(items).toHaveLength(1);
    expect(JSON.stringify(items[0]!.item)).toContain('pressed 4 2 # on the keypad');
    await until(() => call.audio.plays[0]?.outcome !== undefined, 10_000, 'the answer to play');
  });

  it('speaks pcm16 at 24 kHz and reads the GA event names', async () => {
    const { server, call } = await setup({ audio_format: 'pcm16' }, { gaNames: true });
    server.respond = () => ({ say: 'Hello there.' });
    await call.audio.speak(question, false);
    await until(() => call.audio.plays[0]?.outcome !== undefined, 15_000, 'the answer to play');
    expect(call.audio.plays[0]!.sampleRate).toBe(24000);
    expect(call.audio.plays[0]!.outcome!.status).toBe('completed');
    // 100 ms of caller audio upsampled to 24 kHz pcm16: 2400 samples, 4800 bytes, 6400 base64 characters
    // (the first append a few samples short: the resampler's filter delay).
    const appends = server.clientEvents('input_audio_buffer.append').map((e) => e.audio as number);
    expect(appends[0]).toBeGreaterThan(6350);
    expect(appends[1]).toBe(6400);
    await until(() => call.lines().some((l) => l.speaker === 'agent'), 5000, 'the agent line');
    expect(call.lines().find((l) => l.speaker === 'agent')!.text).toBe('Hello there.');
  });

  it('closes the socket and stops listening when the call ends', async () => {
    const { server, agent, call } = await setup();
    await agent.handle({ type: 'call-event', event: 'ended', detail: { by: 'caller' } }, call.ctx);
    await until(() => server.sessions[0]!.closed, 5000, 'the socket to close');
    expect(call.audio.tapStopped).toBe(true);
  });

  it('closes the session and hangs up with a closing line at the call length limit', async () => {
    const { server, agent, call } = await setup({ max_call_s: 60 });
    expect(agent.maxCallMs).toBe(60_000);
    const commands = await agent.handle(
      { type: 'call-event', event: 'max-duration', detail: { limit_ms: 60_000 } },
      call.ctx,
    );
    expect(commands).toEqual([
      expect.objectContaining({ type: 'hangup', reason: 'max-duration', disposition: 'max-duration' }),
    ]);
    await until(() => server.sessions[0]!.closed, 5000, 'the socket to close');
    expect(call.audio.tapStopped).toBe(true);
  });

  it('says the fallback and hangs up when the key is refused', async () => {
    const { started, call } = await setup({
      api_key_env: 'REALTIME_WRONG_KEY',
      fallback: { say: 'We are sorry.' },
    });
    expect(started).toEqual([
      { type: 'say', text: 'We are sorry.', barge_in: false },
      { type: 'hangup', reason: 'realtime agent failed' },
    ]);
    expect(call.audio.tapStopped).toBe(false);
  });

  it('falls back within connect_timeout_ms when the server never answers the upgrade', async () => {
    const net = await import('node:net');
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const at = Date.now();
      const { started } = await setup({
        url: `ws://127.0.0.1:${port}/v1/realtime`,
        connect_timeout_ms: 300,
        fallback: { then: 'transfer', target: 'sales' },
      });
      expect(Date.now() - at).toBeLessThan(2000);
      expect(started[1]).toEqual({ type: 'transfer', target: 'sales', mode: 'cold' });
    } finally {
      silent.close();
    }
  });

  it('falls back within connect_timeout_ms when the server never answers session.update', async () => {
    const at = Date.now();
    const { started, call, server } = await setup({ connect_timeout_ms: 400 }, { ignoreSessionUpdate: true });
    expect(Date.now() - at).toBeLessThan(2000);
    expect(started.map((c) => c.type)).toEqual(['say', 'hangup']);
    expect(call.recorded).toContainEqual({
      type: 'agent-error',
      data: { source: 'realtime', message: 'the realtime session.updated timed out after 400 ms' },
    });
    await until(() => server.sessions[0]!.closed, 5000, 'the socket to close');
  });

  it('stops starting at once when the call ends during the start, with nothing left open', async () => {
    const server = await startRealtimeServer({ ignoreSessionUpdate: true });
    servers.push(server);
    process.env.REALTIME_TEST_KEY = server.apiKey;
    const agent = new RealtimeAgent({
      url: server.url,
      model: 'gpt-realtime-test',
      api_key_env: 'REALTIME_TEST_KEY',
      instructions: 'Hi.',
      connect_timeout_ms: 5000,
    });
    const call = realtimeCallContext({});
    calls.push(call);
    const at = Date.now();
    const starting = agent.handle({ type: 'call-started', call: {}, variables: {} }, call.ctx);
    await until(() => server.sessions.length === 1, 5000, 'the connection');
    call.controller.abort();
    expect(await starting).toEqual([]);
    expect(Date.now() - at).toBeLessThan(2000);
    await until(() => server.sessions[0]!.closed, 5000, 'the socket to close');
  });

  it('says the fallback and hangs up when the socket drops mid-call', async () => {
    const { server, call } = await setup({ fallback: { say: 'Lost the line.' } });
    server.dropAll();
    await until(() => call.performed.some((c) => c.type === 'hangup'), 5000, 'the fallback');
    expect(call.performed).toEqual([
      { type: 'say', text: 'Lost the line.', barge_in: false },
      { type: 'hangup', reason: 'realtime agent failed' },
    ]);
    expect(call.audio.tapStopped).toBe(true);
  });
});
