/**
 * Acceptance flow with real audio, through the real server: an `llm` agent whose model is a local
 * chat-completions server (the wire double) answering with a rule-based brain. The caller (baresip)
 * plays espeak-ng recordings; pocketsphinx hears them; the brain reads the request as a model would
 * (digit words, keywords, tool results) and answers with text or tool calls; the answers are spoken
 * back, streamed sentence by sentence. Cases: an order lookup through an attached http-request tool
 * (its own filler line covers the wait), a warm transfer the target declines, and barge-in cutting the
 * model's own history. Run by llm-agent.test.ts (embedded).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { Baresip } from '../../../helpers/baresip.js';
import { rms } from '../../../helpers/audio.js';
import {
  startChatServer,
  type ChatServer,
  type ReplySpec,
} from '../../../helpers/llm-providers/openai-chat-server.js';
import { startSipp, type RunningSipp } from '../../../helpers/sipp.js';
import {
  sleep,
  startAcceptanceServer,
  until,
  type AcceptanceServer,
  type FlowOptions,
} from './acceptance-server.js';
import { spokenWav } from './spoken-intent-flow.js';

type Json = Record<string, unknown>;
export interface WireMessage {
  role: string;
  content?: string | null;
  tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
}

// ---- the brain: what a model would make of the conversation ---------------------------------------

const DIGIT_WORDS: Record<string, string> = {
  zero: '0',
  oh: '0',
  one: '1',
  won: '1',
  two: '2',
  to: '2',
  too: '2',
  three: '3',
  tree: '3',
  four: '4',
  for: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
};

/** The digit a spoken word (or a numeral) stands for, as a recogniser may write it. */
export function digitOf(word: string): string | undefined {
  const w = word.toLowerCase();
  if (/^\d$/.test(w)) return w;
  return DIGIT_WORDS[w];
}

/** The order number in a caller line: the digits (words or numerals) that follow "order" / "number". */
export function orderNumber(text: string): string | undefined {
  const words: string[] = text.toLowerCase().match(/[a-z]+|\d+/g) ?? [];
  const at = Math.max(words.lastIndexOf('order'), words.lastIndexOf('number'));
  if (at < 0) return undefined;
  let digits = '';
  for (const w of words.slice(at + 1)) {
    if (/^\d+$/.test(w)) digits += w;
    else if (digitOf(w) !== undefined) digits += digitOf(w);
    else if (digits) break;
  }
  return digits || undefined;
}

export function lastMessage(body: Json): WireMessage {
  const messages = body.messages as WireMessage[];
  return messages[messages.length - 1] as WireMessage;
}

/** The assistant tool call a tool message answers (name and parsed arguments). */
export function callAnswered(body: Json, tool: WireMessage): { name: string; args: Json } | undefined {
  for (const m of body.messages as WireMessage[]) {
    const call = m.tool_calls?.find((c) => c.id === tool.tool_call_id);
    if (call) return { name: call.function.name, args: JSON.parse(call.function.arguments) as Json };
  }
  return undefined;
}

/** The long answer to a question about opening hours (several sentences, streamed token by token). */
export const HOURS_REPLY =
  'We are open from nine in the morning until six in the evening, Monday to Friday. ' +
  'On Saturdays we open at ten and close at four in the afternoon. ' +
  'On Sundays and public holidays the shop is closed, but our website takes orders all day. ' +
  'Orders placed before two in the afternoon are shipped the same day.';

/**
 * The shop assistant's brain: an order question with a number calls `order_status`; "put me through
 * to sales" calls `transfer_call`; an hours question gets the long answer; tool results are turned
 * into what the caller is told.
 */
export function shopBrain(body: Json): ReplySpec {
  const m = lastMessage(body);
  if (m.role === 'tool') {
    const call = callAnswered(body, m);
    const result = JSON.parse(String(m.content)) as Json;
    if (call?.name === 'order_status') {
      const outputs = (result.outputs ?? {}) as Json;
      if (result.ok !== true) return { content: 'Sorry, I could not find that order.' };
      return {
        content: `Your order ${String(call.args.order_number)} has ${String(outputs.status)} and arrives ${String(outputs.eta)}.`,
      };
    }
    if (call?.name === 'transfer_call') {
      if (result.ok === true) return { content: '' };
      return { content: `Sorry, ${String(call.args.target)} ${String(result.reason)} the call.` };
    }
    return { content: 'Done.' };
  }
  if (m.role !== 'user') return { content: 'How can I help?' };
  const text = String(m.content).toLowerCase();
  const order = /\border\b/.test(text) ? orderNumber(text) : undefined;
  if (order) return { toolCalls: [{ name: 'order_status', arguments: { order_number: order } }] };
  // A caller who names the sales department wants to be put through, however much else was heard.
  if (/\bsales\b/.test(text))
    return { toolCalls: [{ name: 'transfer_call', arguments: { target: 'sales', mode: 'warm' } }] };
  if (/\b(hours|open|opening)\b/.test(text)) return { content: HOURS_REPLY, tokenDelayMs: 20 };
  return { content: 'Yes? What else can I do for you?' };
}

// ---- audio helpers ---------------------------------------------------------------------------------

/** Several utterances, each starting `at` seconds into one 8 kHz mono WAV, then `tailS` of silence. */
export function conversationWav(
  dir: string,
  name: string,
  parts: Array<{ text: string; at: number }>,
  tailS: number,
): string {
  const files: string[] = [];
  let t = 0;
  for (const [i, p] of parts.entries()) {
    const file = spokenWav(dir, `${name}-${i}`, p.text, Math.max(0, p.at - t), 0);
    t = p.at + Number(execFileSync('soxi', ['-D', path.join(dir, `${name}-${i}.espeak.wav`)]).toString());
    files.push(file);
  }
  const out = path.join(dir, `${name}.wav`);
  execFileSync('sox', [...files, out, 'pad', '0', String(tailS)]);
  return out;
}

export function readRecording(file: string): Int16Array {
  const wav = new wavefile.WaveFile(readFileSync(file));
  wav.toBitDepth('16');
  if ((wav.fmt as { sampleRate: number }).sampleRate !== 8000) wav.toSampleRate(8000);
  const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array | Int16Array[];
  return Array.isArray(samples) ? (samples[0] as Int16Array) : samples;
}

const WINDOW = 160; // 20 ms at 8 kHz
const LEVEL = 300;

/** Ms of audio louder than LEVEL between `fromMs` and `toMs` of a recording. */
export function loudMs(x: Int16Array, fromMs: number, toMs: number): number {
  let loud = 0;
  for (let at = Math.max(0, (fromMs * 8) | 0); at + WINDOW <= Math.min(x.length, toMs * 8); at += WINDOW)
    if (rms(x, at, at + WINDOW) > LEVEL) loud += 20;
  return loud;
}

/** What the caller's softphone heard (the decoded direction of its recording). */
export function heardBy(peer: Baresip): Int16Array {
  const dec = peer.recordings().find((f) => path.basename(f).includes('dec'));
  if (!dec) throw new Error(`baresip recorded ${peer.recordings().join(', ')}`);
  return readRecording(dec);
}

// ---- the order API the tool calls -------------------------------------------------------------------

interface OrderReceiver {
  url: string;
  requests: Array<{ path: string; at: number; answeredAt?: number }>;
  close(): Promise<void>;
}

/** The shop's order API: answers `GET /orders/<n>` after `delayMs` with the order's status. */
async function startOrderReceiver(delayMs: number): Promise<OrderReceiver> {
  const requests: OrderReceiver['requests'] = [];
  const server = http.createServer((req, res) => {
    const entry: OrderReceiver['requests'][number] = { path: req.url ?? '', at: Date.now() };
    requests.push(entry);
    setTimeout(() => {
      entry.answeredAt = Date.now();
      const found = /^\/orders\/\d+$/.test(entry.path);
      res
        .writeHead(found ? 200 : 404, { 'content-type': 'application/json' })
        .end(JSON.stringify(found ? { status: 'shipped', eta: 'Monday' } : { error: 'no such order' }));
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---- the flow -----------------------------------------------------------------------------------------

const KEY_ENV = 'CALLWRIGHT_E2E_LLM_KEY';
/** The order lookup's own line while it runs (http-request `filler`). */
const ORDER_FILLER = 'Let me look that order up for you.';
const NUMBER = '+14155550701';
const CALLER_PHRASES = {
  order: 'what is the status of order one two three',
  sales: 'put me through to sales',
  hours: 'what are your opening hours',
  interrupt: 'excuse me',
};

export function llmAgentFlow(options: FlowOptions): void {
  const BASE = options.base;
  describe(`acceptance (${options.label}): an llm agent hears, calls tools and is interrupted (real audio)`, () => {
    let app: AcceptanceServer;
    let chat: ChatServer;
    let orders: OrderReceiver;
    let peers: Baresip[] = [];
    let sipps: RunningSipp[] = [];

    beforeAll(async () => {
      process.env[KEY_ENV] = 'sk-e2e-brain';
      chat = await startChatServer({ apiKey: 'sk-e2e-brain', reply: (body) => shopBrain(body) });
      orders = await startOrderReceiver(2500);
      app = await startAcceptanceServer(
        BASE,
        {
          speech: { recognizer: 'pocketsphinx' },
          // The order API listens on loopback: the outbound HTTP guard refuses it unless allowed.
          http: { allow_hosts: ['127.0.0.1'] },
        },
        options.backend(),
      );
      await app.setupAgent({
        name: 'shop',
        kind: 'llm',
        number: NUMBER,
        config: {
          base_url: chat.url,
          api_key_env: KEY_ENV,
          model: 'shop-brain-1',
          system_prompt:
            'You answer calls for an online shop. Look orders up with order_status; put callers through to sales when they ask.',
          first_message: 'How can I help?',
          idle: { enabled: false },
        },
        // "sales" beside the whole line: with the silence around it, pocketsphinx's phrase grammar finds
        // no complete path for "put me through to sales" in this voice and falls back to dictation
        // ("we really old"); the keyword alone is found reliably.
        speech: { recognizer: 'pocketsphinx', hints: [...Object.values(CALLER_PHRASES), 'sales'] },
        targets: { sales: { type: 'sip', uri: `sip:sales@127.0.0.1:${BASE + 60}` } },
        actions: [
          {
            name: 'order_status',
            type: 'http-request',
            config: {
              method: 'GET',
              url: `${orders.url}/orders/{{ args.order_number }}`,
              parameters: { order_number: { type: 'string', description: 'The order number' } },
              response_map: { status: '$.status', eta: '$.eta' },
              timeout_ms: 10000,
              filler: ORDER_FILLER,
            },
          },
        ],
        attachments: [{ action: 'order_status', stage: 'during', triggers: [{ kind: 'tool' }] }],
      });
    });
    afterEach(async () => {
      for (const p of peers) await p.stop();
      for (const s of sipps) s.kill();
      peers = [];
      sipps = [];
    });
    afterAll(async () => {
      await app?.stop();
      await chat?.close();
      await orders?.close();
      delete process.env[KEY_ENV];
    });

    async function dial(wav: string): Promise<{ callId: string; caller: Baresip }> {
      const caller = new Baresip({ sipPort: BASE + 10, sourceWav: wav, user: 'caller' });
      peers.push(caller);
      await caller.start();
      const before = new Set((await app.server.store.calls.list({ limit: 100 })).items.map((c) => c.id));
      caller.command('dial', `sip:${NUMBER}@${app.sipTarget}`);
      await caller.waitFor('CALL_ESTABLISHED', 15_000);
      const call = await until(async () =>
        (await app.server.store.calls.list({ limit: 100 })).items.find((c) => !before.has(c.id)),
      );
      return { callId: call.id, caller };
    }

    type Line = { text: string; start_ms: number; end_ms?: number; interrupted?: string; said?: string };
    async function lines(callId: string, speaker: 'agent' | 'caller'): Promise<Line[]> {
      const events = await app.events(callId);
      return events
        .filter((e) => e.type === 'transcript' && e.data.speaker === speaker)
        .map((e) => e.data as unknown as Line);
    }

    async function agentSays(callId: string, probe: (text: string) => boolean, ms = 30_000): Promise<Line> {
      return until(async () => (await lines(callId, 'agent')).find((l) => probe(l.text)), ms).catch(
        async (err: Error) => {
          const events = await app.events(callId);
          throw new Error(
            `${err.message}; call events: ${JSON.stringify(events.map((e) => [e.type, e.data]))}`,
          );
        },
      );
    }

    async function hangUp(callId: string, caller: Baresip): Promise<void> {
      console.log(`caller lines: ${JSON.stringify((await lines(callId, 'caller')).map((l) => l.text))}`);
      caller.command('hangup');
      await caller.waitFor('CALL_CLOSED');
      await app.callWhen(callId, (c) => c.state === 'ended');
      await sleep(300);
    }

    it('"what is the status of order one two three": order_status runs with 123, its own filler plays whole (no second filler cuts in) while the API thinks, the answer is spoken', async () => {
      const wav = spokenWav(app.dir, 'order', CALLER_PHRASES.order, 2, 30);
      const { callId, caller } = await dial(wav);
      const answer = await agentSays(callId, (t) => /has shipped/.test(t));
      expect(answer.text).toBe('Your order 123 has shipped and arrives Monday.');
      // Let the answer play out before hanging up (its end is in the stored line once it has).
      const said = await until(async () => {
        const l = (await lines(callId, 'agent')).find((x) => x.text === answer.text);
        return l?.end_ms !== undefined ? l : undefined;
      });
      await hangUp(callId, caller);

      expect(orders.requests.map((r) => r.path)).toContain('/orders/123');
      const request = orders.requests.find((r) => r.path === '/orders/123')!;
      const agent = await lines(callId, 'agent');
      const texts = agent.map((l) => l.text);
      // The tool's own line, whole, before the answer; the agent's generic filler does not talk over it.
      expect(texts).toEqual(['How can I help?', ORDER_FILLER, answer.text]);
      expect(agent.filter((l) => l.interrupted)).toEqual([]);

      // In what the caller heard: agent audio while the order API was still thinking, and the answer.
      const row = (await app.server.store.calls.get(callId))!;
      const answeredAt = Date.parse(row.answered_at!);
      const heard = heardBy(caller);
      const waitFrom = request.at - answeredAt;
      const waitTo = request.answeredAt! - answeredAt;
      const filler = agent.find((l) => l.text === ORDER_FILLER)!;
      console.log(
        `order: request ${waitFrom}-${waitTo} ms, filler ${filler.start_ms}-${filler.end_ms} ms, answer ${said.start_ms}-${said.end_ms} ms`,
      );
      expect(loudMs(heard, waitFrom, waitTo), 'agent audio during the wait').toBeGreaterThan(400);
      expect(
        loudMs(heard, Math.max(said.start_ms, waitTo), said.end_ms!),
        'the answer heard',
      ).toBeGreaterThan(1000);

      // The turn's latency breakdown, in order.
      const detail = await app.api('GET', `/calls/${callId}`);
      const turns = detail.body.turns as Array<Record<string, number>>;
      console.log(`order turns: ${JSON.stringify(turns)}`);
      const turn = turns.find((t) => t.first_token !== undefined);
      expect(turn, JSON.stringify(turns)).toBeDefined();
      const moments = ['final_transcript', 'first_token', 'first_sentence', 'first_audio', 'first_packet'];
      const values = moments.map((m) => turn![m]);
      for (const v of values) expect(typeof v).toBe('number');
      for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);

      const runs = await app.runs(callId);
      const run = runs.find((r) => r.action_type === 'http-request');
      expect(run).toMatchObject({ status: 'succeeded', trigger: { kind: 'tool' } });
      expect(run?.outputs).toMatchObject({ status: 'shipped', eta: 'Monday' });
    }, 60_000);

    it('"put me through to sales": the warm transfer is declined (603), the model hears why and tells the caller; the call stays up', async () => {
      const sales = startSipp({
        scenario: 'uas-decline-603.xml',
        localPort: BASE + 60,
        mediaPort: BASE + 70,
        timeoutMs: 40_000,
      });
      sipps.push(sales);
      await sales.ready;
      const wav = spokenWav(app.dir, 'sales', CALLER_PHRASES.sales, 2, 30);
      const { callId, caller } = await dial(wav);
      const sorry = await agentSays(callId, (t) => t.startsWith('Sorry'));
      expect(sorry.text).toBe('Sorry, sales declined the call.');
      // The model got the transfer's result: declined, with the SIP status.
      const toolMessage = chat.requests
        .map((r) => lastMessage(r.body))
        .find((m) => m.role === 'tool' && String(m.content).includes('sip_status'));
      expect(JSON.parse(String(toolMessage?.content))).toMatchObject({
        ok: false,
        reason: 'declined',
        sip_status: 603,
      });
      // Still with the agent: the call is up, the caller's softphone still connected.
      await sleep(1500);
      expect((await app.server.store.calls.get(callId))?.state).toBe('answered');
      expect(caller.events.some((e) => e.type === 'CALL_CLOSED')).toBe(false);
      const runs = await app.runs(callId);
      expect(runs.find((r) => r.action_type === 'warm-transfer')?.status).toBe('failed');
      await hangUp(callId, caller);
    }, 60_000);

    it('barge-in cuts the model’s reply: the stored line and the next request carry only what was heard', async () => {
      const wav = conversationWav(
        app.dir,
        'hours',
        [
          { text: CALLER_PHRASES.hours, at: 2 },
          { text: CALLER_PHRASES.interrupt, at: 9 },
        ],
        20,
      );
      const { callId, caller } = await dial(wav);
      const reply = await until(
        async () => (await lines(callId, 'agent')).find((l) => l.said === HOURS_REPLY),
        30_000,
      );
      expect(reply.interrupted).toBe('barge-in');
      expect(reply.text.length).toBeGreaterThan(5);
      expect(reply.text.length).toBeLessThan(HOURS_REPLY.length);
      expect(HOURS_REPLY.startsWith(reply.text.replace(/…$/, ''))).toBe(true);
      // The next request: the assistant message is the cut reply, then what the caller said.
      const next = await until(
        () =>
          chat.requests.find((r) => {
            const messages = r.body.messages as WireMessage[];
            return messages.some((m) => m.role === 'assistant' && m.content === reply.text);
          }),
        20_000,
      );
      const messages = next.body.messages as WireMessage[];
      expect(messages.some((m) => m.content === HOURS_REPLY)).toBe(false);
      expect(messages.at(-1)?.role).toBe('user');
      // The conversation goes on: the model answers what it heard next (whatever the recogniser made of
      // "excuse me"), after the cut line.
      await until(async () => {
        const said = await lines(callId, 'agent');
        const cutAt = said.findIndex((l) => l.said === HOURS_REPLY);
        return cutAt >= 0 && said.length > cutAt + 1;
      }, 30_000);
      await hangUp(callId, caller);
    }, 60_000);
  });
}
