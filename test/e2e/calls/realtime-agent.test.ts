/**
 * A realtime (speech-to-speech) agent on a real SIP call through the embedded backend: baresip plays an
 * espeak-ng caller; the local OpenAI Realtime server hears the speech over the bridge, calls an attached
 * http-request action as a function (a loopback HTTP receiver answers), gets its output and speaks the
 * answer, which the caller's softphone records. Barge-in: the caller talks over a long reply; the model is
 * told (conversation.item.truncate) how much was heard, and the stored agent line is cut there.
 * Port block: 30000-30499 (peers 30000+, admin API 30090, RTP 30100-30499).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { Baresip } from '../../helpers/baresip.js';
import { rms, wavBytes } from '../../helpers/audio.js';
import { startHttpReceiver, type HttpReceiver } from '../../helpers/http-receiver.js';
import {
  espeak,
  startRealtimeServer,
  type RealtimeServer,
} from '../../helpers/llm-providers/openai-realtime-server.js';
import {
  sleep,
  startAcceptanceServer,
  until,
  type AcceptanceServer,
} from './acceptance/acceptance-server.js';

const BASE = 30000;
const ANSWER = 'Your order has shipped and arrives on Friday.';
const LONG =
  'Thank you for calling. Our opening hours are nine to five on weekdays and ten to two on Saturdays. ' +
  'We are closed on Sundays and on public holidays. You can also write to us at any time, and we answer within one working day.';

/** 8 kHz caller audio: each utterance starts at its offset (seconds); `totalS` long. */
function callerWav(dir: string, name: string, utterances: [number, string][], totalS: number): string {
  const samples = new Int16Array(totalS * 8000);
  for (const [atS, text] of utterances) samples.set(espeak(text, 8000), atS * 8000);
  const file = path.join(dir, `${name}.wav`);
  writeFileSync(file, wavBytes(samples));
  return file;
}

function readRecording(file: string): Int16Array {
  const wav = new wavefile.WaveFile(readFileSync(file));
  wav.toBitDepth('16');
  if ((wav.fmt as { sampleRate: number }).sampleRate !== 8000) wav.toSampleRate(8000);
  const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array | Int16Array[];
  return Array.isArray(samples) ? (samples[0] as Int16Array) : samples;
}

/** Milliseconds of 20 ms windows louder than `level` in `x`. */
function loudMs(x: Int16Array, level = 300): number {
  let ms = 0;
  for (let at = 0; at + 160 <= x.length; at += 160) if (rms(x, at, at + 160) > level) ms += 20;
  return ms;
}

describe('realtime agent on a SIP call (embedded backend, real audio)', () => {
  let app: AcceptanceServer;
  let model: RealtimeServer;
  let orders: HttpReceiver;
  let peers: Baresip[] = [];

  beforeAll(async () => {
    model = await startRealtimeServer({ deltaIntervalMs: 20 });
    // The server runs in this process: the agent reads its key from here when each call starts.
    process.env.REALTIME_E2E_KEY = model.apiKey;
    orders = await startHttpReceiver(() => ({ status: 200, body: { status: 'shipped', eta: 'Friday' } }));
    app = await startAcceptanceServer(BASE, { http: { allow_private: true } });
    const created = async (url: string, body: unknown): Promise<Record<string, unknown>> => {
      const res = await app.api('POST', url, body);
      expect(res.status, `POST ${url}: ${JSON.stringify(res.body)}`).toBe(201);
      return res.body;
    };
    await created('/actions', {
      name: 'lookup_order',
      type: 'http-request',
      description: "Looks up the caller's order",
      config: {
        method: 'GET',
        url: `${orders.url}/orders`,
        query: { phone: '{{ call.from }}' },
        response_map: { order_status: '$.status', eta: '$.eta' },
      },
    });
    const agent = await created('/agents', {
      name: 'voice',
      kind: 'realtime',
      config: {
        url: model.url,
        model: 'gpt-realtime-test',
        api_key_env: 'REALTIME_E2E_KEY',
        instructions: 'You answer order questions for callers from {{ call.from }}.',
        transcription_model: 'whisper-1',
        turn_detection: { silence_duration_ms: 600 },
      },
    });
    await created(`/agents/${String(agent.id)}/actions`, {
      action_id: 'lookup_order',
      stage: 'during',
      triggers: [{ kind: 'tool' }],
    });
    await created('/numbers', { number: '+14155550501', agent_id: agent.id });
  });
  afterEach(async () => {
    for (const p of peers) await p.stop();
    peers = [];
  });
  afterAll(async () => {
    await app?.stop();
    await model?.close();
    await orders?.close();
  });

  async function call(wav: string): Promise<{ callId: string; caller: Baresip }> {
    const caller = new Baresip({ sipPort: BASE + 10, sourceWav: wav, user: 'caller' });
    peers.push(caller);
    await caller.start();
    const before = new Set((await app.server.store.calls.list({ limit: 100 })).items.map((c) => c.id));
    caller.command('dial', `sip:+14155550501@${app.sipTarget}`);
    await caller.waitFor('CALL_ESTABLISHED', 15_000);
    const row = await until(async () =>
      (await app.server.store.calls.list({ limit: 100 })).items.find((c) => !before.has(c.id)),
    );
    return { callId: row.id, caller };
  }

  async function hangUp(callId: string, caller: Baresip): Promise<{ heard: Int16Array }> {
    caller.command('hangup');
    await caller.waitFor('CALL_CLOSED');
    await app.callWhen(callId, (c) => c.state === 'ended');
    await sleep(300);
    const dec = caller.recordings().find((f) => path.basename(f).includes('dec'));
    if (!dec) throw new Error(`baresip recorded ${caller.recordings().join(', ')}`);
    return { heard: readRecording(dec) };
  }

  it('hears the caller, runs the attached action as a async function call and speaks the answer', async () => {
    const sessions = model.sessions.length;
    model.callerSays.push('Where is my order?');
    model.respond = (turn) => {
      if (turn.reason === 'speech') return { call: { name: 'lookup_order', arguments: {} } };
      const out = JSON.stringify(turn.outputs[0]?.output ?? {});
      return { say: out.includes('shipped') ? ANSWER : 'I could not find it.' };
    };
    const wav = callerWav(app.dir, 'question', [[1, 'Where is my order?']], 30);
    const { callId, caller } = await call(wav);
    await until(
      () => model.sessions.length > sessions && model.clientEvents('conversation.item.create').length > 0,
    );
    const session = model.sessions[sessions]!;
    // The agent's line is stored once its audio has played out to the caller.
    await until(
      async () =>
        (await app.events(callId)).some((e) => e.type === 'transcript' && e.data.speaker === 'agent'),
      20_000,
    );
    await sleep(500);
    const { heard } = await hangUp(callId, caller);

    expect(orders.requests).toHaveLength(1);
    expect(orders.requests[0]!.url).toMatch(/^\/orders\?phone=/);
    const output = model.clientEvents('conversation.item.create', session)[0]!.item as Record<
      string,
      unknown
    >;
    expect(output.type).toBe('function_call_output');
    expect(String(output.output)).toContain('shipped');
    expect(model.clientEvents('response.create', session)).toHaveLength(1);
    // The caller heard the spoken answer: about as much speech as the model sent (G.711 twice over and
    // a jitter buffer in between), and nothing else was said to them.
    const sentSpeech = loudMs(espeak(ANSWER, 8000));
    console.log(`realtime answer: ${sentSpeech} ms of speech sent, ${loudMs(heard)} ms heard`);
    expect(loudMs(heard)).toBeGreaterThan(sentSpeech * 0.8);
    expect(loudMs(heard)).toBeLessThan(sentSpeech * 1.2);
    const events = await app.events(callId);
    const lines = events.filter((e) => e.type === 'transcript').map((e) => [e.data.speaker, e.data.text]);
    expect(lines).toContainEqual(['caller', 'Where is my order?']);
    expect(lines).toContainEqual(['agent', ANSWER]);
    expect(session.closed).toBe(true);
  }, 90_000);

  it('stops a long reply the caller talks over and tells the model how much was heard', async () => {
    const sessions = model.sessions.length;
    let turns = 0;
    model.respond = (turn) => (turn.reason === 'speech' && turns++ === 0 ? { say: LONG } : undefined);
    // The question at 1 s; the caller talks again at 7 s, a few seconds into the long reply.
    const wav = callerWav(
      app.dir,
      'interrupt',
      [
        [1, 'What are your hours?'],
        [7, 'Sorry, one more thing please.'],
      ],
      30,
    );
    const { callId, caller } = await call(wav);
    await until(() => model.sessions.length > sessions, 15_000);
    const session = model.sessions[sessions]!;
    await until(() => model.clientEvents('conversation.item.truncate', session).length > 0, 20_000);
    await sleep(1000);
    const { heard } = await hangUp(callId, caller);

    const total = [...session.itemAudioMs.values()][0]!;
    const truncate = model.clientEvents('conversation.item.truncate', session)[0]!;
    const heardMs = truncate.audio_end_ms as number;
    expect(total).toBeGreaterThan(10_000);
    expect(heardMs).toBeGreaterThan(1000);
    expect(heardMs).toBeLessThan(total / 2);
    // What the softphone recorded of the reply is what the model was told was heard.
    const sentSpeech = loudMs(espeak(LONG, 8000).subarray(0, heardMs * 8));
    console.log(
      `realtime barge-in: ${heardMs} ms of ${total} ms heard; speech ${sentSpeech} ms sent, ${loudMs(heard)} ms recorded`,
    );
    expect(loudMs(heard)).toBeGreaterThan(sentSpeech * 0.8);
    expect(loudMs(heard)).toBeLessThan(sentSpeech * 1.25 + 200);
    const events = await app.events(callId);
    const line = String(events.find((e) => e.type === 'transcript' && e.data.speaker === 'agent')?.data.text);
    expect(line.endsWith('…')).toBe(true);
    expect(line.length).toBeLessThan(LONG.length / 2);
    expect(LONG.startsWith(line.slice(0, -1))).toBe(true);
  }, 90_000);
});
