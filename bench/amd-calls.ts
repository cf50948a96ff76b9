/**
 * Answering-machine detection over real calls (`npm run bench:amd -- --calls`): the production server
 * (`callwright start` as a child, embedded backend) places a call out with `amd` to a baresip callee
 * for every corpus sample; the callee answers and plays the sample, then silence, as its microphone,
 * so the audio reaches the server's own detector the way a real callee's does: G.711 over RTP, through
 * the leg's listen tap and the calls' WebRTC VAD worker. The decisions are read back from the API
 * (GET /calls/{id} and its `amd` events), several callees at once.
 *
 * Ports (53500-53999): callee slot i SIP 53500+50i (ctrl_tcp +2, RTP +10..+49), i < 8; server SIP
 * 53900, admin API 53901, server RTP 53910-53999.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AmdOutcome } from '../src/calls/amd/amd-decision.js';
import { parseAmdSettings } from '../src/calls/amd/amd-settings.js';
import { AnsweringMachineDetector } from '../src/calls/amd/answering-machine-detector.js';
import { runDetector, type AmdClass, type AmdSample } from '../test/helpers/amd-corpus.js';
import { RATE, readWav8kMono, wavBytes } from '../test/helpers/audio.js';
import { Baresip } from '../test/helpers/baresip.js';
import { startServerChild, type ServerChild } from './server-child.js';

const CALLEE_BASE = 53500;
const CALLEE_STRIDE = 50;
export const MAX_PARALLEL = 8;
const SERVER_SIP = 53900;
const SERVER_API = 53901;
const SERVER_RTP = [53910, 53999] as const;
/** Silence after the sample, so baresip's file source never runs out before the server hangs up. */
const PAD_S = 25;
/** A call not ended by then counts as failed (the detection's own hard limit is 30 s). */
const CALL_DEADLINE_MS = 45_000;

const CLASSES: AmdClass[] = ['human', 'machine', 'fax', 'silence'];
const OUTCOMES: AmdOutcome[] = ['human', 'machine', 'machine-ready', 'fax', 'silence', 'uncertain'];

interface AmdEventData {
  outcome: AmdOutcome;
  reason: string;
  evidence: { decisionMs: number; beep?: { hz: number } | null };
}

interface CallResult {
  sample: AmdSample;
  /** Why the call gave no decision (placing it failed, it never ended, no `amd` event). */
  failed?: string;
  decisions: Array<AmdEventData & { wallMs: number }>;
  /** Machines: ms from the start of the callee's recording of what it heard to the voicemail drop's first sound. */
  dropHeardMs?: number;
}

const FRAME = RATE / 50;
/** A 20 ms frame this loud (RMS) is sound: the corpus' line noise is -45 dBFS at most, the server sends none. */
const SOUND_DBFS = -35;

/** Ms from the recording's start to its first 20 ms frame of sound (-1: none). */
function firstSoundMs(x: Int16Array): number {
  for (let f = 0; (f + 1) * FRAME <= x.length; f++) {
    let sum = 0;
    for (let i = f * FRAME; i < (f + 1) * FRAME; i++) sum += (x[i]! / 32768) ** 2;
    if (10 * Math.log10(sum / FRAME + 1e-12) > SOUND_DBFS) return f * 20;
  }
  return -1;
}

interface CallRow {
  state: string;
  answered_at: string | null;
  amd: AmdEventData | null;
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

const fmt = (x: number): string => (Number.isFinite(x) ? String(Math.round(x)) : '-');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startServer(): Promise<ServerChild> {
  const server = await startServerChild({
    apiPort: SERVER_API,
    config: {
      log: { level: 'error' },
      telephony: { backend: 'embedded' },
      sip: { address: '127.0.0.1', port: SERVER_SIP, transports: ['udp'] },
      media: {
        address: '127.0.0.1',
        advertised_address: '127.0.0.1',
        rtp_port_min: SERVER_RTP[0],
        rtp_port_max: SERVER_RTP[1],
      },
      // The calls' WebRTC VAD runs without a recogniser: detection needs no speech recognition.
      speech: { recognizer: 'none' },
      calls: {
        demo_agent: false,
        calling_hours: {
          days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
          start: '00:00',
          end: '23:59',
        },
      },
    },
  });
  // Detection on, default settings: each call ends on its decision (fax and silence hang up, a person
  // gets an agent that hangs up, machine-ready a short voicemail drop, then the hang-up).
  await server.api('POST', '/agents', {
    name: 'amd-bench',
    kind: 'scripted',
    config: { steps: [{ hangup: true }] },
    amd: { enabled: true, voicemail_drop: 'Please call us back.' },
  });
  return server;
}

async function placeCall(
  server: ServerChild,
  slot: number,
  sample: AmdSample,
  wav: string,
): Promise<CallResult> {
  const callee = new Baresip({ sipPort: CALLEE_BASE + slot * CALLEE_STRIDE, sourceWav: wav, user: 'callee' });
  try {
    await callee.start();
    const placed = await server.api<{ call_id: string }>('POST', '/calls', {
      agent: 'amd-bench',
      to: callee.uri,
      amd: true,
    });
    const id = placed.call_id;
    const end = Date.now() + CALL_DEADLINE_MS;
    let call: CallRow;
    for (;;) {
      call = await server.api<CallRow>('GET', `/calls/${id}`);
      if (call.state === 'ended') break;
      if (Date.now() > end)
        return { sample, failed: `still ${call.state} after ${CALL_DEADLINE_MS} ms`, decisions: [] };
      await sleep(200);
    }
    const events = await server.api<{ items: Array<{ type: string; at: string; data: AmdEventData }> }>(
      'GET',
      `/calls/${id}/events?limit=500`,
    );
    const answeredAt = call.answered_at ? Date.parse(call.answered_at) : NaN;
    const decisions = events.items
      .filter((e) => e.type === 'amd')
      .map((e) => ({ ...e.data, wallMs: Date.parse(e.at) - answeredAt }));
    if (decisions.length === 0)
      return {
        sample,
        failed: `ended without a decision (answered ${call.answered_at ?? 'never'})`,
        decisions,
      };
    if (!decisions.some((d) => d.outcome === 'machine-ready')) return { sample, decisions };
    // The callee's own recording of what it heard starts with the call, as the sample it sends does.
    await callee.waitFor('CALL_CLOSED', 5000);
    const heard = callee.recordings().find((f) => path.basename(f).includes('dec'));
    return { sample, decisions, ...(heard ? { dropHeardMs: firstSoundMs(readWav8kMono(heard)) } : {}) };
  } catch (err) {
    return { sample, failed: (err as Error).message.split('\n')[0] ?? 'error', decisions: [] };
  } finally {
    await callee.stop();
  }
}

/** BENCH_AMD_PARALLEL: calls at once, 1 to MAX_PARALLEL (the callee port slots). */
export function parallelOption(raw: string | undefined): number {
  if (raw === undefined) return MAX_PARALLEL;
  const parallel = Number(raw);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > MAX_PARALLEL)
    throw new Error(
      `BENCH_AMD_PARALLEL: got ${JSON.stringify(raw)}, expected a whole number from 1 to ${MAX_PARALLEL} (the callee port slots)`,
    );
  return parallel;
}

/** Runs every sample as a call, `parallel` at once; prints the report. Returns the share correct. */
export async function runCallsBench(
  corpus: AmdSample[],
  dir: string,
  parallel: number,
  verbose: boolean,
): Promise<number> {
  const wavs = corpus.map((s) => {
    const padded = new Int16Array(s.samples.length + RATE * PAD_S);
    padded.set(s.samples);
    const wav = path.join(dir, `call-${s.name}.wav`);
    writeFileSync(wav, wavBytes(padded));
    return wav;
  });
  const server = await startServer();
  const results: CallResult[] = new Array<CallResult>(corpus.length);
  const loads: number[] = [];
  const loadTimer = setInterval(() => loads.push(os.loadavg()[0] ?? 0), 5000);
  const t0 = Date.now();
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: parallel }, async (_, slot) => {
        while (next < corpus.length) {
          const i = next++;
          results[i] = await placeCall(server, slot, corpus[i]!, wavs[i]!);
          if (verbose) line(results[i]!);
        }
      }),
    );
  } finally {
    clearInterval(loadTimer);
    await server.stop();
  }
  const seconds = (Date.now() - t0) / 1000;
  return report(results, seconds, parallel, loads, verbose);
}

function classOf(outcome: AmdOutcome | 'none'): string {
  return outcome === 'machine-ready' ? 'machine' : outcome;
}

function line(r: CallResult): void {
  const first = r.decisions[0];
  const ok = first && classOf(first.outcome) === r.sample.expected;
  const ds = r.decisions
    .map((d) => `${d.outcome}/${d.reason} at ${d.evidence.decisionMs} ms (wall ${d.wallMs})`)
    .join(', ');
  const mark = r.sample.beep
    ? `; beep ${r.sample.beep.startMs}-${r.sample.beep.endMs} ms`
    : r.sample.greetingEndMs !== undefined
      ? `; greeting ends ${r.sample.greetingEndMs} ms`
      : '';
  const drop = r.dropHeardMs !== undefined ? `${mark}; drop heard at ${r.dropHeardMs} ms` : '';
  console.log(
    `  ${ok ? 'ok  ' : 'MISS'} ${r.sample.name.padEnd(28)} ${r.failed ? `FAILED: ${r.failed}` : ds + drop}`,
  );
  if (!ok) console.log(`       ${r.sample.description}`);
}

function report(
  results: CallResult[],
  seconds: number,
  parallel: number,
  loads: number[],
  verbose: boolean,
): number {
  const confusion = new Map<AmdClass, Map<AmdOutcome | 'none', number>>();
  const times = new Map<AmdClass, number[]>();
  const wall = new Map<AmdClass, number[]>();
  const lag: number[] = [];
  const afterBeep: number[] = [];
  const afterGreeting: number[] = [];
  /** Beep machines: the call's ready time minus the offline run's on the same file (the tap's offset). */
  const offset: number[] = [];
  /** Machines: the voicemail drop's first sound in the callee's recording, after the beep's (greeting's) end. */
  const dropAfterBeep: number[] = [];
  const dropAfterGreeting: number[] = [];
  let dropEarly = 0;
  let readyEarly = 0;
  let readyMissing = 0;
  let beepMachines = 0;
  let beepsFound = 0;
  let correct = 0;
  const failed = results.filter((r) => r.failed);
  for (const r of results) {
    const first = r.decisions[0];
    const outcome = first?.outcome ?? 'none';
    const row = confusion.get(r.sample.expected) ?? new Map<AmdOutcome | 'none', number>();
    row.set(outcome, (row.get(outcome) ?? 0) + 1);
    confusion.set(r.sample.expected, row);
    const ok = classOf(outcome) === r.sample.expected;
    if (ok) correct++;
    else if (!verbose) line(r);
    if (!first) continue;
    (times.get(r.sample.expected) ?? times.set(r.sample.expected, []).get(r.sample.expected)!).push(
      first.evidence.decisionMs,
    );
    (wall.get(r.sample.expected) ?? wall.set(r.sample.expected, []).get(r.sample.expected)!).push(
      first.wallMs,
    );
    for (const d of r.decisions) lag.push(d.wallMs - d.evidence.decisionMs);
    if (r.sample.expected !== 'machine' || !ok) continue;
    const ready = r.decisions.find((d) => d.outcome === 'machine-ready');
    if (r.sample.beep) beepMachines++;
    if (!ready) {
      readyMissing++;
      continue;
    }
    const readyMs = ready.evidence.decisionMs;
    const mark = r.sample.beep ? r.sample.beep.endMs : (r.sample.greetingEndMs ?? 0);
    if (r.dropHeardMs !== undefined && r.dropHeardMs >= 0) {
      if (r.dropHeardMs < mark) dropEarly++;
      else (r.sample.beep ? dropAfterBeep : dropAfterGreeting).push(r.dropHeardMs - mark);
    }
    if (r.sample.beep && ready.reason === 'beep') {
      beepsFound++;
      const offline = runDetector(r.sample, new AnsweringMachineDetector(parseAmdSettings({}))).ready;
      if (offline?.reason === 'beep') offset.push(readyMs - offline.evidence.decisionMs);
    }
    if (readyMs < mark) readyEarly++;
    else (r.sample.beep ? afterBeep : afterGreeting).push(readyMs - mark);
  }
  const n = results.length;
  console.log(
    `\nreal calls (embedded backend, baresip callees, ${parallel} at once): ${correct}/${n} correct (${((100 * correct) / n).toFixed(1)} %) in ${seconds.toFixed(0)} s`,
  );
  console.log('  class      n   accuracy  decision p50  p95 (ms, detector)  p50  p95 (ms, 200 OK to event)');
  for (const c of CLASSES) {
    const row = confusion.get(c);
    const count = [...(row?.values() ?? [])].reduce((a, b) => a + b, 0);
    const hits = (row?.get(c) ?? 0) + (c === 'machine' ? (row?.get('machine-ready') ?? 0) : 0);
    const t = times.get(c) ?? [];
    const w = wall.get(c) ?? [];
    const acc = count > 0 ? `${((100 * hits) / count).toFixed(1)} %` : '-';
    console.log(
      `  ${c.padEnd(9)} ${String(count).padStart(3)}   ${acc.padStart(7)}  ${fmt(percentile(t, 50)).padStart(11)} ${fmt(percentile(t, 95)).padStart(5)}${fmt(percentile(w, 50)).padStart(25)} ${fmt(percentile(w, 95)).padStart(5)}`,
    );
  }
  console.log(`\n  confusion (rows: truth, columns: first decision; none = failed or no decision)`);
  console.log(`  ${''.padEnd(9)} ${[...OUTCOMES, 'none'].map((o) => o.padStart(14)).join('')}`);
  for (const c of CLASSES) {
    const row = confusion.get(c);
    console.log(
      `  ${c.padEnd(9)} ${[...OUTCOMES, 'none'].map((o) => String(row?.get(o as AmdOutcome) ?? 0).padStart(14)).join('')}`,
    );
  }
  console.log(
    `\n  machine-ready: beeps found ${beepsFound}/${beepMachines}; after the beep's end p50 ${fmt(percentile(afterBeep, 50))} ms, p95 ${fmt(percentile(afterBeep, 95))} ms (n ${afterBeep.length})`,
  );
  console.log(
    `  machine-ready without a beep: after the greeting's end p50 ${fmt(percentile(afterGreeting, 50))} ms, p95 ${fmt(percentile(afterGreeting, 95))} ms (n ${afterGreeting.length})`,
  );
  console.log(`  ready too early: ${readyEarly}, never ready: ${readyMissing}`);
  console.log(
    `  beep's end on the call's detector clock minus the same file offline: p50 ${fmt(percentile(offset, 50))} ms, min ${fmt(Math.min(...offset))} ms, max ${fmt(Math.max(...offset))} ms (n ${offset.length})`,
  );
  console.log(
    `  voicemail drop heard by the callee after the beep's end: p50 ${fmt(percentile(dropAfterBeep, 50))} ms, p95 ${fmt(percentile(dropAfterBeep, 95))} ms (n ${dropAfterBeep.length}); after the greeting's end (no beep): p50 ${fmt(percentile(dropAfterGreeting, 50))} ms, p95 ${fmt(percentile(dropAfterGreeting, 95))} ms (n ${dropAfterGreeting.length}); before it: ${dropEarly}`,
  );
  console.log(
    `  event after the detector's clock (200 OK to event minus decisionMs): p50 ${fmt(percentile(lag, 50))} ms, p95 ${fmt(percentile(lag, 95))} ms, max ${fmt(Math.max(...lag))} ms`,
  );
  console.log(
    `  calls failed: ${failed.length}${failed.length ? ` (${failed.map((r) => `${r.sample.name}: ${r.failed}`).join('; ')})` : ''}`,
  );
  console.log(
    `  load average during the run (1 min, every 5 s): mean ${(loads.reduce((a, b) => a + b, 0) / Math.max(1, loads.length)).toFixed(2)}, max ${Math.max(0, ...loads).toFixed(2)}; now ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (${os.cpus().length} cores)`,
  );
  return correct / n;
}
