/**
 * The greeting classifier on calls out, end to end on the embedded backend: a baresip callee answers
 * and plays generated audio (espeak-ng through G.711, test/helpers/amd-corpus.ts). The short beep-less
 * greeting "Hi, you've reached Sam." is `human` to the speech rules alone; with the phrases classifier
 * on the offline recogniser (pocketsphinx) it is `machine` (reason transcript), then `machine-ready`
 * and the voicemail drop. A person's "Hello?" is still `human`, with the classifier's verdict in the
 * evidence. Kind llm asks a local OpenAI-compatible server (the `llm:` section): a screening verdict
 * makes `machine` (call-screening); an error body leaves the person decision, with an event saying why.
 * Port block: 54000-54499 (baresip 54000-54049, admin API 54090, server RTP 54100-54499).
 */
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { amdClassifierExtras, amdCorpusSubset, type AmdSample } from '../../helpers/amd-corpus.js';
import { Baresip } from '../../helpers/baresip.js';
import { RATE, wavBytes } from '../../helpers/audio.js';
import { startAcceptanceServer, type AcceptanceServer } from './acceptance/acceptance-server.js';
import {
  startChatServer,
  type ChatServer,
  type ReplySpec,
} from '../../helpers/llm-providers/openai-chat-server.js';

const BASE = 54000;
const CLASSIFIER = { classifier: { kind: 'phrases', timeout_ms: 20_000 } };

let app: AcceptanceServer;
let llm: ChatServer;
const llmReplies: ReplySpec[] = [];
let agentId: string;
const samples = new Map<string, AmdSample>();
const wavs = new Map<string, string>();
let callee: Baresip | undefined;

beforeAll(async () => {
  llm = await startChatServer({ apiKey: 'sk-test', reply: () => llmReplies.shift() ?? { content: '' } });
  app = await startAcceptanceServer(BASE, {
    llm: { base_url: llm.url, api_key: 'sk-test', model: 'gpt-test', timeout_ms: 10_000 },
  });
  const wanted = [
    ...amdClassifierExtras(app.dir).filter((s) => s.name === 'short-en-us'),
    ...amdCorpusSubset(app.dir).filter((s) => s.name === 'human-hello'),
  ];
  for (const s of wanted) {
    samples.set(s.name, s);
    // The callee's microphone: the sample, then silence (baresip's file source must not run out).
    const padded = new Int16Array(s.samples.length + RATE * 10);
    padded.set(s.samples);
    const wav = path.join(app.dir, `${s.name}.wav`);
    writeFileSync(wav, wavBytes(padded));
    wavs.set(s.name, wav);
  }
  agentId = await app.setupAgent({ name: 'caller', steps: [{ say: 'Hello, this is the dental office.' }] });
  const patched = await app.api('PATCH', `/agents/${agentId}`, {
    amd: { enabled: true, voicemail_drop: 'Hi, this is the dental office. Please call us back.' },
  });
  expect(patched.status).toBe(200);
}, 60_000);

afterEach(async () => {
  await callee?.stop();
  callee = undefined;
});

afterAll(async () => {
  await app?.stop();
  await llm?.close();
});

async function callCallee(sample: string, amd: Record<string, unknown>) {
  callee = new Baresip({ sipPort: BASE, sourceWav: wavs.get(sample)!, user: 'callee' });
  await callee.start();
  const placed = await app.api('POST', '/calls', { agent: 'caller', to: callee.uri, amd });
  expect(placed.status).toBe(202);
  const callId = String(placed.body.call_id);
  const call = await app.callWhen(callId, (c) => c.state === 'ended', 40_000);
  await callee.waitFor('CALL_CLOSED');
  const events = await app.events(callId);
  return { callId, call, events, amd: events.filter((e) => e.type === 'amd').map((e) => e.data) };
}

interface Evidence {
  decisionMs: number;
  speechMs: number;
  classifier?: {
    kind: string;
    verdict: string | null;
    phrase?: string;
    transcript: string;
    waitedMs: number;
  };
}

describe('the greeting classifier on calls out (embedded backend, baresip callee, pocketsphinx)', () => {
  it('"Hi, you\'ve reached Sam." without a beep: machine (transcript), machine-ready, the voicemail drop', async () => {
    const sample = samples.get('short-en-us')!;
    const { callId, call, events, amd } = await callCallee('short-en-us', CLASSIFIER);
    expect(amd.map((d) => [d.outcome, d.reason])).toEqual([
      ['machine', 'transcript'],
      ['machine-ready', 'greeting-ended'],
    ]);
    const machine = amd[0]!.evidence as Evidence;
    expect(machine.classifier).toMatchObject({ kind: 'phrases', verdict: 'machine' });
    expect(["you've reached", 'you have reached']).toContain(machine.classifier!.phrase);
    expect(machine.classifier!.transcript).toMatch(/reached/);
    // The speech rules decided human after the greeting and 800 ms of silence; the decision time
    // includes the wait for the transcript.
    expect(machine.decisionMs).toBeGreaterThanOrEqual(sample.greetingEndMs! + 800);
    expect(machine.classifier!.waitedMs).toBeGreaterThanOrEqual(0);
    const ready = amd[1]!.evidence as Evidence;
    expect(ready.decisionMs).toBeGreaterThanOrEqual(sample.greetingEndMs!);
    expect(call).toMatchObject({
      call_disposition: 'voicemail-left',
      amd: { outcome: 'machine-ready', evidence: { classifier: { verdict: 'machine' } } },
    });
    expect(events.some((e) => e.type === 'amd-classifier')).toBe(false);
    const got = await app.api('GET', `/calls/${callId}`);
    expect(got.body.amd).toMatchObject({ outcome: 'machine-ready' });
  }, 60_000);

  it('"Hello?": still human, with the classifier\'s verdict; the agent speaks', async () => {
    const { call, events, amd } = await callCallee('human-hello', CLASSIFIER);
    expect(amd.map((d) => [d.outcome, d.reason])).toEqual([['human', 'after-greeting-silence']]);
    expect((amd[0]!.evidence as Evidence).classifier).toMatchObject({ kind: 'phrases', verdict: 'human' });
    expect(call).toMatchObject({ amd: { outcome: 'human' }, outcome: 'completed' });
    const agentLine = events.findIndex((e) => e.type === 'transcript' && e.data.speaker === 'agent');
    expect(agentLine).toBeGreaterThan(events.findIndex((e) => e.type === 'amd'));
  }, 60_000);

  it('without the classifier the same short greeting is human (the speech rules alone)', async () => {
    const { amd } = await callCallee('short-en-us', {});
    expect(amd.map((d) => d.outcome)).toEqual(['human']);
    expect((amd[0]!.evidence as Evidence).classifier).toBeUndefined();

    const metrics = await fetch(`${app.server.apiUrl}/metrics`).then((r) => r.text());
    expect(metrics).toContain('callwright_amd_classifier_verdicts_total{kind="phrases",verdict="machine"} 1');
    expect(metrics).toContain('callwright_amd_classifier_verdicts_total{kind="phrases",verdict="human"} 1');
    expect(metrics).toContain('callwright_amd_decisions_total{outcome="human"} 2');
  }, 60_000);

  it('kind llm: a screening verdict from the LLM makes machine (call-screening), asked with llm_model', async () => {
    llmReplies.push({ content: '{"verdict": "screening"}' });
    const { amd, events } = await callCallee('short-en-us', {
      classifier: { kind: 'llm', llm_model: 'amd-small', timeout_ms: 20_000 },
    });
    expect(amd.map((d) => [d.outcome, d.reason])).toEqual([
      ['machine', 'call-screening'],
      ['machine-ready', 'greeting-ended'],
    ]);
    expect((amd[0]!.evidence as Evidence).classifier).toMatchObject({
      kind: 'llm',
      verdict: 'screening',
      model: 'amd-small',
    });
    const request = llm.requests.at(-1)!;
    expect(request.headers.authorization).toBe('Bearer sk-test');
    expect(request.body.model).toBe('amd-small');
    const transcript = (amd[0]!.evidence as Evidence).classifier!.transcript;
    expect((request.body.messages as { content: string }[])[1]!.content).toBe(
      `Transcript: ${JSON.stringify(transcript)}`,
    );
    expect(events.some((e) => e.type === 'amd-classifier')).toBe(false);
  }, 60_000);

  it('kind llm: an error body leaves the person decision, with an amd-classifier event saying why', async () => {
    llmReplies.push({ error: { status: 503, message: 'The engine is currently overloaded.' } });
    const { amd, events } = await callCallee('short-en-us', {
      classifier: { kind: 'llm', timeout_ms: 20_000 },
    });
    expect(amd.map((d) => d.outcome)).toEqual(['human']);
    const c = (amd[0]!.evidence as Evidence).classifier!;
    expect(c).toMatchObject({ kind: 'llm', verdict: null });
    const failure = events.find((e) => e.type === 'amd-classifier');
    expect(failure?.data).toMatchObject({ kind: 'llm', error: expect.stringMatching(/503/) });
    expect(String(failure?.data.error)).toContain('overloaded');
  }, 60_000);

  it('recognizer agent with an agent that hears nothing: the classifier cannot run, the call says why', async () => {
    const { amd, events } = await callCallee('short-en-us', {
      classifier: { kind: 'phrases', recognizer: 'agent' },
    });
    expect(amd.map((d) => d.outcome)).toEqual(['human']);
    expect((amd[0]!.evidence as Evidence).classifier).toBeUndefined();
    expect(events.find((e) => e.type === 'amd-classifier')?.data).toEqual({
      kind: 'phrases',
      error: "the agent's recogniser is none",
    });
  }, 60_000);

  it('refuses a bad classifier on an agent and on a call, naming the field, the value and what is accepted', async () => {
    const agent = await app.api('PATCH', `/agents/${agentId}`, { amd: { classifier: { kind: 'whisper' } } });
    expect(agent.status).toBe(400);
    expect(agent.body.message).toContain(
      'amd.classifier.kind: got "whisper", expected one of "off", "phrases", "llm"',
    );
    const call = await app.api('POST', '/calls', {
      agent: 'caller',
      to: 'sip:nobody@127.0.0.1:54001',
      amd: { classifier: { timeout_ms: 50 } },
    });
    expect(call.status).toBe(400);
    expect(call.body.message).toContain('amd.classifier.timeout_ms: got 50, expected a number >= 200');
  });
});
