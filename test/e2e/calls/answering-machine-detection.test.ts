/**
 * Answering-machine detection on calls out, end to end on the embedded backend: a baresip callee
 * answers and plays generated audio (espeak-ng through G.711, test/helpers/amd-corpus.ts) as its
 * microphone; sndfile records what it sends and what it hears. A voicemail greeting with a 1 kHz beep
 * gets `machine`, then `machine-ready`, and the agent's voicemail drop starts after the beep; "Hello?"
 * gets `human` and the agent speaks; silence gets `silence` and a hang-up; without detection the agent
 * waits the greeting delay.
 * Port block: 52000-52499 (baresip 52000-52049, admin API 52090, server RTP 52100-52499).
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { amdCorpusSubset, type AmdSample } from '../../helpers/amd-corpus.js';
import { Baresip } from '../../helpers/baresip.js';
import { RATE, readWav8kMono, wavBytes } from '../../helpers/audio.js';
import { firstSoundMs, soundMs } from '../../helpers/sound-frames.js';
import { startHttpReceiver, type HttpReceiver } from '../../helpers/http-receiver.js';
import { startAcceptanceServer, type AcceptanceServer } from './acceptance/acceptance-server.js';
import { writeFileSync } from 'node:fs';

const BASE = 52000;
const CALLEE_PORT = BASE;
/** Calls out without detection: the agent's first words wait this long after the answer. */
const GREETING_DELAY_MS = 1000;

let app: AcceptanceServer;
let hooks: HttpReceiver;
let agentId: string;
const samples = new Map<string, AmdSample>();
const wavs = new Map<string, string>();
let callee: Baresip | undefined;

beforeAll(async () => {
  hooks = await startHttpReceiver();
  app = await startAcceptanceServer(BASE, {
    http: { allow_private: true },
    amd: { greeting_delay_ms: GREETING_DELAY_MS },
  });
  for (const s of amdCorpusSubset(app.dir)) {
    if (!['machine-beep-1000', 'human-hello', 'silence'].includes(s.name)) continue;
    samples.set(s.name, s);
    // The callee's microphone: the sample, then silence (baresip's file source must not run out).
    const padded = new Int16Array(s.samples.length + RATE * 10);
    padded.set(s.samples);
    const wav = path.join(app.dir, `${s.name}.wav`);
    writeFileSync(wav, wavBytes(padded));
    wavs.set(s.name, wav);
  }
  const action = await app.api('POST', '/actions', {
    name: 'amd-webhook',
    type: 'http-request',
    config: { url: `${hooks.url}/amd`, method: 'POST', body: { outcome: '{{ call.amd }}' } },
  });
  agentId = await app.setupAgent({
    name: 'caller',
    steps: [{ say: 'Hello, this is the dental office.' }],
    attachments: [{ action: String(action.body.id), stage: 'during', triggers: [{ kind: 'amd' }] }],
  });
  const patched = await app.api('PATCH', `/agents/${agentId}`, {
    amd: {
      enabled: true,
      voicemail_drop: 'Hi {{ data.name }}, this is the dental office. Please call us back.',
    },
  });
  expect(patched.status).toBe(200);
}, 60_000);

afterEach(async () => {
  await callee?.stop();
  callee = undefined;
});

afterAll(async () => {
  await app?.stop();
  await hooks?.close();
});

/** Calls a baresip callee playing `sample`; resolves with the ended call, its events and the callee's recordings. */
async function callCallee(sample: string, extra: Record<string, unknown> = {}) {
  callee = new Baresip({ sipPort: CALLEE_PORT, sourceWav: wavs.get(sample)!, user: 'callee' });
  await callee.start();
  const placed = await app.api('POST', '/calls', {
    agent: 'caller',
    to: callee.uri,
    variables: { name: 'Sam' },
    ...extra,
  });
  expect(placed.status).toBe(202);
  const callId = String(placed.body.call_id);
  const call = await app.callWhen(callId, (c) => c.state === 'ended', 30_000);
  await callee.waitFor('CALL_CLOSED');
  const events = await app.events(callId);
  const recording = (kind: 'enc' | 'dec'): Int16Array => {
    const file = callee!.recordings().find((f) => path.basename(f).includes(kind));
    if (!file) throw new Error(`baresip recorded ${callee!.recordings().join(', ')}`);
    return readWav8kMono(file);
  };
  return { callId, call, events, sent: recording('enc'), heard: recording('dec') };
}

describe('answering-machine detection on calls out (embedded backend, baresip callee)', () => {
  it('a greeting with a beep: machine, then machine-ready; the voicemail drop plays after the beep', async () => {
    const sample = samples.get('machine-beep-1000')!;
    const { callId, call, events, sent, heard } = await callCallee('machine-beep-1000');

    const amd = events.filter((e) => e.type === 'amd').map((e) => e.data);
    expect(amd.map((d) => d.outcome)).toEqual(['machine', 'machine-ready']);
    expect(amd[1]).toMatchObject({ reason: 'beep', evidence: { beep: { hz: expect.any(Number) } } });
    const beep = (amd[1]!.evidence as { beep: { hz: number } }).beep;
    expect(Math.abs(beep.hz - 1000)).toBeLessThan(20);
    expect(call).toMatchObject({
      call_disposition: 'voicemail-left',
      amd: { outcome: 'machine-ready', reason: 'beep' },
      hangup_by: 'agent',
    });
    const drop = events.find((e) => e.type === 'transcript' && e.data.speaker === 'agent');
    expect(drop?.data.text).toBe('Hi Sam, this is the dental office. Please call us back.');

    // The callee's recordings: where the beep ended in what it sent, where our message began in what
    // it heard. Both start with the call; the message must begin after the beep, not over the greeting.
    const beepEndSent = sample.beep!.endMs;
    expect(firstSoundMs(sent, sample.beep!.startMs)).toBeLessThanOrEqual(sample.beep!.startMs + 40);
    const messageAt = firstSoundMs(heard);
    console.log(`voicemail drop: beep ended at ${beepEndSent} ms, the message began at ${messageAt} ms`);
    expect(messageAt).toBeGreaterThanOrEqual(beepEndSent);
    expect(soundMs(heard)).toBeGreaterThan(1500);

    // The amd trigger fired on both decisions, with the outcome as a call variable.
    const bodies = hooks.requests.filter((r) => r.url === '/amd').map((r) => JSON.parse(r.body) as unknown);
    expect(bodies).toEqual([{ outcome: 'machine' }, { outcome: 'machine-ready' }]);
    const got = await app.api('GET', `/calls/${callId}`);
    expect(got.body.amd).toMatchObject({ outcome: 'machine-ready', reason: 'beep' });
    hooks.requests.length = 0;
  }, 40_000);

  it('"Hello?": human, and the agent speaks to the person', async () => {
    const { call, events, heard } = await callCallee('human-hello');
    const types = events.map((e) => e.type);
    const amd = events.filter((e) => e.type === 'amd').map((e) => e.data);
    expect(amd.map((d) => d.outcome)).toEqual(['human']);
    const agentLine = types.findIndex((t, i) => t === 'transcript' && events[i]!.data.speaker === 'agent');
    expect(agentLine).toBeGreaterThan(types.indexOf('amd'));
    expect(call).toMatchObject({ amd: { outcome: 'human' }, outcome: 'completed' });
    expect(['machine', 'voicemail-left', 'silence', 'fax', 'uncertain']).not.toContain(call.call_disposition);
    // The person heard the agent: its speech begins once AMD has decided (after the hello and a pause).
    const decisionMs = (amd[0]!.evidence as { decisionMs: number }).decisionMs;
    expect(firstSoundMs(heard)).toBeGreaterThanOrEqual(decisionMs);
    expect(soundMs(heard)).toBeGreaterThan(800);
    hooks.requests.length = 0;
  }, 40_000);

  it('silence: silence, hang-up with disposition silence (per-call overrides)', async () => {
    const { call, events, heard } = await callCallee('silence', { amd: { initial_silence_ms: 1500 } });
    const amd = events.filter((e) => e.type === 'amd').map((e) => e.data);
    expect(amd).toEqual([expect.objectContaining({ outcome: 'silence', reason: 'initial-silence' })]);
    expect((amd[0]!.evidence as { decisionMs: number }).decisionMs).toBe(1500);
    expect(call).toMatchObject({
      call_disposition: 'silence',
      amd: { outcome: 'silence' },
      hangup_by: 'agent',
    });
    expect(events.some((e) => e.type === 'transcript')).toBe(false);
    expect(soundMs(heard)).toBe(0);
  }, 40_000);

  it('without detection (amd: false on the call): no decision, the agent speaks after the greeting delay', async () => {
    const { call, events, heard } = await callCallee('silence', { amd: false });
    expect(events.some((e) => e.type === 'amd')).toBe(false);
    expect(call.amd).toBeNull();
    const line = events.find((e) => e.type === 'transcript' && e.data.speaker === 'agent');
    expect(Number(line?.data.start_ms)).toBeGreaterThanOrEqual(GREETING_DELAY_MS);
    expect(firstSoundMs(heard)).toBeGreaterThanOrEqual(GREETING_DELAY_MS);

    const metrics = await fetch(`${app.server.apiUrl}/metrics`).then((r) => r.text());
    for (const outcome of ['machine', 'machine-ready', 'human', 'silence'])
      expect(metrics).toContain(`callwright_amd_decisions_total{outcome="${outcome}"} 1`);
    expect(metrics).toMatch(/callwright_amd_decision_seconds_count\{outcome="human"\} 1/);
  }, 40_000);

  it('refuses bad amd settings on an agent and on a call, naming the field, the value and the range', async () => {
    const agent = await app.api('PATCH', `/agents/${agentId}`, { amd: { greeting_ms: 50 } });
    expect(agent.status).toBe(400);
    expect(agent.body.message).toContain('amd.greeting_ms: got 50, expected a number >= 200');
    const band = await app.api('PATCH', `/agents/${agentId}`, {
      amd: { beep_min_hz: 1500, beep_max_hz: 1000 },
    });
    expect(band.status).toBe(400);
    expect(band.body.message).toContain(
      'amd.beep_max_hz: got 1000, expected a frequency above beep_min_hz (1500)',
    );
    const call = await app.api('POST', '/calls', {
      agent: 'caller',
      to: 'sip:nobody@127.0.0.1:52001',
      amd: { on_fax: 'ignore' },
    });
    expect(call.status).toBe(400);
    expect(call.body.message).toContain('amd.on_fax: got "ignore", expected one of "hangup", "agent"');
    expect((await app.server.store.calls.list({ limit: 100 })).items).toHaveLength(4);
  });
});
