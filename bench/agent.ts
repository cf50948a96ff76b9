/**
 * Agent turn benchmark: how much of the time from the end of a caller's speech to the first audio of
 * the agent's answer is Callwright's own, with N conversations at once.
 *
 *   npm run bench:agent                        # 50 calls, 3 turns each
 *   npm run bench:agent -- --calls 10 --turns 3
 *
 * Options (also as environment variables BENCH_AGENT_<NAME>, e.g. BENCH_AGENT_CALLS=10):
 *   --calls N (50)            concurrent conversations
 *   --turns T (3)             caller turns per conversation
 *   --recognizer-ms (200)     the transcription double answers this long after an utterance arrived
 *   --first-token-ms (300)    the chat double's wait before its first chunk
 *   --token-ms (5)            the chat double's wait before each further piece of the reply
 *   --first-audio-ms (150)    the speech double's first audio comes this long after the request
 *   --end-of-turn-ms (speech.turn.end_of_turn_ms of config/default.yaml, 700)
 *   --stagger-ms (6000)       call starts spread over this long, so the calls' turns overlap
 *   --pause-ms (1200)         caller silence after the agent's answer before its next turn (±50%)
 *   --rtp-min / --rtp-max (32500-33499): the server's RTP ports in the lower half, the callers' in the
 *                             upper half; the callers' SIP socket is the block's last even port
 *
 * The server is the real one (startServer: embedded SIP/RTP on loopback, SQLite in a temp folder, the
 * admin API), with an `llm` agent set up through the admin API the way a user would: the model is the
 * local OpenAI chat-completions double, the recogniser is `openai` (the OpenAI transcription double)
 * and the synthesiser `openai` (the OpenAI speech double), their base URLs in the server's speech
 * config. The doubles run in one peer process and the callers (SIP over UDP, PCMU RTP, espeak-ng
 * utterances) in another (bench/agent-peer.ts), so the measured process runs only the server.
 *
 * Per turn, measured at the caller: the end of its utterance (its last loud packet sent) → the first
 * non-silent RTP packet of the answer. Callwright's own share = that − (end-of-turn silence +
 * recogniser delay + the model's time to its first sentence + first-audio delay + the silence at the
 * start of the synthesised audio). The server's `turn` events (GET /calls/{id} → turns) split it.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { splitSentences } from '../src/speech/synthesis/sentences.js';
import { startServer, type RunningServer } from '../src/server.js';
import type { EmbeddedTelephony } from '../src/telephony/embedded/embedded-telephony.js';
import { testConfig } from '../test/helpers/temp.js';
import type { Config } from '../src/config/schema.js';
import { TurnDetector } from '../src/speech/vad/turn-detector.js';
import { VoiceActivityPool } from '../src/speech/vad/voice-activity.js';
import {
  BENCH_KEY,
  callerUtterances,
  lastLoudSample,
  phraseOf,
  GREETING,
  callerNumber,
  leadInMs,
  piecesToFirstSentence,
  replyText,
  type CallerTurn,
  type CallersReply,
  type CallersRequest,
  type ProviderDelays,
  type ProvidersReply,
  type ProvidersRequest,
} from './agent-peer.js';

const defaults = parseDefaultEndOfTurn();
const { values: args } = parseArgs({
  options: {
    calls: { type: 'string' },
    turns: { type: 'string' },
    'recognizer-ms': { type: 'string' },
    'first-token-ms': { type: 'string' },
    'token-ms': { type: 'string' },
    'first-audio-ms': { type: 'string' },
    'end-of-turn-ms': { type: 'string' },
    'stagger-ms': { type: 'string' },
    'pause-ms': { type: 'string' },
    'rtp-min': { type: 'string' },
    'rtp-max': { type: 'string' },
  },
});

/** A numeric option from --name, then BENCH_AGENT_NAME, then the default; refuses anything else. */
function option(name: keyof typeof args, fallback: number): number {
  const env = process.env[`BENCH_AGENT_${name.toUpperCase().replace(/-/g, '_')}`];
  const raw = args[name] ?? env;
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`--${name}: ${JSON.stringify(raw)} is not accepted; expected a whole number >= 0`);
  return n;
}

const calls = Math.max(1, option('calls', 50));
const turns = Math.max(1, option('turns', 3));
const delays: ProviderDelays = {
  recognizerMs: option('recognizer-ms', 200),
  firstTokenMs: option('first-token-ms', 300),
  tokenMs: option('token-ms', 5),
  firstAudioMs: option('first-audio-ms', 150),
};
const endOfTurnMs = option('end-of-turn-ms', defaults);
const staggerMs = option('stagger-ms', 6000);
const pauseMs = option('pause-ms', 1200);
const rtpMin = option('rtp-min', 32500);
const rtpMax = option('rtp-max', 33499);
const rtpMid = rtpMin + Math.floor((rtpMax - rtpMin + 1) / 2);
const GOAL_P95_MS = 50;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const here = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function parseDefaultEndOfTurn(): number {
  const config = testConfig(tmpdir());
  return config.speech.turn.end_of_turn_ms;
}

// ---- numbers --------------------------------------------------------------------------------------

function percentile(values: number[], p: number): number {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return NaN;
  const sorted = [...v].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(0) : 'n/a');

function row(label: string, values: number[]): string {
  const v = values.filter((x) => Number.isFinite(x));
  return `    ${label.padEnd(58)} ${f(percentile(v, 50)).padStart(6)} ${f(percentile(v, 95)).padStart(6)} ${f(v.length ? Math.max(...v) : NaN).padStart(6)}`;
}

/** CPU ms a process has used (utime + stime, proc(5) fields 14 and 15). */
function processCpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/**
 * The detector's own tail per caller utterance: each is fed, frame by frame with no network and no
 * jitter buffer, to the product's voice activity worker and TurnDetector (speech.turn settings); the
 * end mark it gives, minus the end of the packet holding the last loud sample. WebRTC voice activity
 * keeps flagging the fading end of a word (and adds its own hangover) before the silence counts.
 */
async function vadTails(dir: string, config: Config): Promise<number[]> {
  const pool = new VoiceActivityPool();
  const tails: number[] = [];
  const lead = 10;
  try {
    for (const words of callerUtterances(dir)) {
      const frames = lead + Math.ceil(words.length / 160) + Math.ceil((endOfTurnMs + 1000) / 20);
      const audio = new Int16Array(frames * 160);
      audio.set(words, lead * 160);
      const ended = new Promise<number>((resolve) => {
        const turn = new TurnDetector(
          {
            endOfTurnMs,
            minSpeechMs: config.speech.turn.min_speech_ms,
            maxUtteranceMs: config.speech.turn.max_utterance_ms,
            bargeInMinSpeechMs: config.speech.turn.barge_in_min_speech_ms,
          },
          { bargeIn() {}, speechStarted() {}, speechEnded: (endMs) => resolve(endMs) },
        );
        const vad = pool.open(config.speech.turn.vad_mode, (voiced) => {
          for (const v of voiced) turn.frame(v === 1);
        });
        for (let n = 0; n < frames; n++) vad.write(audio.slice(n * 160, (n + 1) * 160));
      });
      const endMs = await ended;
      const speechEnd = (lead + Math.ceil((lastLoudSample(words) + 1) / 160)) * 20;
      tails.push(endMs - speechEnd);
    }
  } finally {
    await pool.close();
  }
  return tails;
}

// ---- processes ------------------------------------------------------------------------------------

function startPeer(role: 'providers' | 'callers'): ChildProcess {
  return fork(path.join(here, 'agent-peer.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_AGENT_ROLE: role },
  });
}

function next<T>(
  child: ChildProcess,
  accept: (m: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error(`${what}: no answer in ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`${what}: the process exited with ${code}`));
    };
    const onMessage = (m: T): void => {
      if (!accept(m)) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

// ---- server ---------------------------------------------------------------------------------------

async function startBenchServer(
  dir: string,
  providers: ProvidersReply,
): Promise<{
  server: RunningServer;
  api: (method: string, url: string, body?: unknown) => Promise<unknown>;
}> {
  const out: string[] = [];
  const config = testConfig(dir, {
    log: { level: process.env.LOG_LEVEL ?? 'silent' },
    api: { host: '127.0.0.1', port: 0 },
    sip: { port: 0, address: '127.0.0.1', transports: ['udp'] },
    media: {
      address: '127.0.0.1',
      advertised_address: '127.0.0.1',
      rtp_port_min: rtpMin,
      rtp_port_max: rtpMid - 1,
    },
    calls: { demo_agent: false, default_agent: 'bench-llm' },
    speech: {
      recognizer: 'openai',
      provider: 'openai',
      turn: { end_of_turn_ms: endOfTurnMs },
      openai_transcription: { base_url: providers.transcriptionUrl, api_key: BENCH_KEY, model: 'whisper-1' },
      openai_speech: { base_url: providers.speechUrl, api_key: BENCH_KEY, model: 'tts-1', voice: 'alloy' },
    },
  });
  const server = await startServer(config, {
    io: { out: (l) => out.push(l), err: () => undefined, tty: false },
  });
  const key = /API key: (\S+)/.exec(out.join('\n'))?.[1] ?? '';
  const api = async (method: string, url: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${server.apiUrl}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : {};
  };
  // The agent, as a user sets it up: kind llm, the model at the chat double, OpenAI speech both ways.
  process.env.BENCH_AGENT_LLM_KEY = BENCH_KEY;
  await api('POST', '/agents', {
    name: 'bench-llm',
    kind: 'llm',
    config: {
      base_url: providers.llmUrl,
      api_key_env: 'BENCH_AGENT_LLM_KEY',
      model: 'gpt-4o-mini',
      system_prompt: 'You are the front desk of a shop. The caller is {{ call.from }}. Answer briefly.',
      first_message: GREETING,
      idle: { enabled: false },
      fillers: { enabled: false },
    },
    speech: { recognizer: 'openai', synthesizer: 'openai', end_of_turn_ms: endOfTurnMs },
  });
  return { server, api };
}

interface Turn {
  final_transcript?: number;
  first_token?: number;
  first_sentence?: number;
  first_audio?: number;
  first_packet?: number;
  text_only?: boolean;
}

async function serverTurns(
  api: (method: string, url: string) => Promise<unknown>,
): Promise<Map<string, Turn[]>> {
  const byCaller = new Map<string, Turn[]>();
  const list = (await api('GET', '/calls?limit=500')) as {
    items: Array<{ id: string; from_number: string }>;
  };
  for (const c of list.items) {
    const detail = (await api('GET', `/calls/${c.id}`)) as { turns: Turn[] };
    byCaller.set(c.from_number, detail.turns);
    if (process.env.BENCH_VERBOSE === '2') {
      const events = (await api('GET', `/calls/${c.id}/events?limit=500`)) as {
        items: Array<{ type: string; data: Record<string, unknown>; at: string }>;
      };
      console.log(`  ${c.from_number}`);
      for (const e of events.items)
        if (e.type === 'transcript' || e.type === 'turn')
          console.log(`    ${Date.parse(e.at)} ${e.type} ${JSON.stringify(e.data)}`);
    }
  }
  return byCaller;
}

// ---- the run --------------------------------------------------------------------------------------

async function runCallers(
  child: ChildProcess,
  request: CallersRequest,
): Promise<Extract<CallersReply, { type: 'done' }>> {
  const done = next<CallersReply>(child, (m) => m.type === 'done', 600_000, 'callers');
  child.send(request);
  return (await done) as Extract<CallersReply, { type: 'done' }>;
}

async function main(): Promise<void> {
  const cmd = process.argv.slice(2).join(' ');
  console.log(
    `agent turn benchmark: npm run bench:agent${cmd ? ` -- ${cmd}` : ''}  (node ${process.version})`,
  );
  console.log(
    `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} at start`,
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'callwright-agent-bench-'));
  const providersProc = startPeer('providers');
  const callersProc = startPeer('callers');
  let server: RunningServer | undefined;
  try {
    // Replies to caller indices 0..calls-1, plus one warm-up caller (index `calls`).
    const ready = next<ProvidersReply>(providersProc, (m) => m.type === 'ready', 300_000, 'providers');
    providersProc.send({ type: 'start', delays, calls: calls + 1, turns } satisfies ProvidersRequest);
    const providers = await ready;
    const started = await startBenchServer(dir, providers);
    server = started.server;
    const telephony = server.telephony as unknown as EmbeddedTelephony;
    const media = (
      telephony as unknown as { deps: { media: { detail?: () => LatenessDetail; resetStats?: () => void } } }
    ).deps.media;

    // Lead-in silence of each reply's first sentence in the synthesiser double's audio.
    const leadIns = new Map<string, number>();
    for (let i = 0; i < calls; i++)
      for (let t = 1; t <= turns; t++) {
        const first = splitSentences(replyText(i, t))[0] as string;
        leadIns.set(`${i}/${t}`, await leadInMs(first));
      }
    const tails = await vadTails(dir, server.config);
    const modelToFirstSentence = (i: number, t: number): number =>
      delays.firstTokenMs + piecesToFirstSentence(replyText(i, t)) * delays.tokenMs;

    const sipPort = telephony.port;
    const base: Omit<CallersRequest, 'calls' | 'turns' | 'firstIndex' | 'staggerMs'> = {
      type: 'start',
      sipHost: '127.0.0.1',
      sipPort,
      rtpMin: rtpMid,
      rtpMax: rtpMax - 2,
      localSipPort: rtpMax - (rtpMax % 2 === 0 ? 0 : 1),
      dir,
      pauseMs,
    };
    console.log(
      `providers: doubles' audio for ${calls * turns * 2 + 1} sentences rendered in ${(providers.renderMs / 1000).toFixed(1)} s; warm-up call …`,
    );
    // One warm-up conversation (its own caller index): first connections, code paths compiled.
    const warm = await runCallers(callersProc, {
      ...base,
      calls: 1,
      turns: 1,
      firstIndex: calls,
      staggerMs: 0,
    });
    if (warm.failures.length) console.log(`    warm-up: ${warm.failures.join('; ')}`);
    await sleep(1000);

    console.log(
      `\nrun: ${calls} concurrent calls × ${turns} turns; starts spread over ${(staggerMs / 1000).toFixed(1)} s; caller pause after an answer ${pauseMs} ms ±50%`,
    );
    media.resetStats?.();
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const switches0 = process.resourceUsage().involuntaryContextSwitches;
    const prov0 = processCpuMs(providersProc.pid);
    const call0 = processCpuMs(callersProc.pid);
    const t0 = performance.now();
    const result = await runCallers(callersProc, { ...base, calls, turns, firstIndex: 0, staggerMs });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const preempted = process.resourceUsage().involuntaryContextSwitches - switches0;
    const provCpu = processCpuMs(providersProc.pid) - prov0;
    const callCpu = processCpuMs(callersProc.pid) - call0;
    loop.disable();
    const lateness = media.detail?.();
    await sleep(1500);
    const turnsByCaller = await serverTurns(started.api);

    // ---- per-turn numbers ----
    const measured: number[] = [];
    const own: number[] = [];
    const serverOwn: number[] = [];
    const serverAfterTranscript: number[] = [];
    const parts = {
      detection: [] as number[],
      vadTail: [] as number[],
      listener: [] as number[],
      recognition: [] as number[],
      model: [] as number[],
      sentence: [] as number[],
      synthesis: [] as number[],
      playout: [] as number[],
      delivery: [] as number[],
    };
    const raw = {
      final: [] as number[],
      token: [] as number[],
      sentence: [] as number[],
      audio: [] as number[],
      packet: [] as number[],
    };
    let matched = 0;
    let serverTurnCount = 0;
    const byCall = new Map<number, CallerTurn[]>();
    for (const t of result.turns) byCall.set(t.call, [...(byCall.get(t.call) ?? []), t]);
    for (const [i, callerTurns] of byCall) {
      const events = (turnsByCaller.get(callerNumber(i)) ?? []).filter((e) => !e.text_only);
      serverTurnCount += events.length;
      const match = events.length === callerTurns.length;
      for (const [k, ct] of callerTurns.entries()) {
        const t = ct.turn;
        const lead = leadIns.get(`${i}/${t}`) ?? 0;
        const m = modelToFirstSentence(i, t);
        const providerMs = endOfTurnMs + delays.recognizerMs + m + delays.firstAudioMs + lead;
        if (Number.isFinite(ct.latencyMs)) {
          measured.push(ct.latencyMs);
          own.push(ct.latencyMs - providerMs);
        }
        const e = match ? events[k] : undefined;
        if (!e || e.first_packet === undefined || e.final_transcript === undefined) continue;
        matched++;
        raw.final.push(e.final_transcript);
        if (e.first_token !== undefined) raw.token.push(e.first_token);
        if (e.first_sentence !== undefined) raw.sentence.push(e.first_sentence);
        if (e.first_audio !== undefined) raw.audio.push(e.first_audio);
        raw.packet.push(e.first_packet);
        serverAfterTranscript.push(e.first_packet - e.final_transcript - m - delays.firstAudioMs);
        serverOwn.push(e.first_packet - delays.recognizerMs - m - delays.firstAudioMs);
        parts.recognition.push(e.final_transcript - delays.recognizerMs);
        if (e.first_token !== undefined)
          parts.model.push(e.first_token - e.final_transcript - delays.firstTokenMs - delays.tokenMs);
        if (e.first_token !== undefined && e.first_sentence !== undefined)
          parts.sentence.push(e.first_sentence - e.first_token - (m - delays.firstTokenMs - delays.tokenMs));
        if (e.first_sentence !== undefined && e.first_audio !== undefined)
          parts.synthesis.push(e.first_audio - e.first_sentence - delays.firstAudioMs);
        if (e.first_audio !== undefined) parts.playout.push(e.first_packet - e.first_audio);
        if (process.env.BENCH_VERBOSE)
          console.log(
            `    call ${i} turn ${t}: caller end of speech ${ct.endAt.toFixed(0)}, ${f(ct.latencyMs)} ms, server ${JSON.stringify(e)}`,
          );
        if (Number.isFinite(ct.latencyMs)) {
          // End of speech → speechEnded (the detector), past the configured silence; the packet's trip
          // to the caller is in it too (loopback: well under a millisecond).
          const detection = ct.latencyMs - lead - e.first_packet - endOfTurnMs;
          parts.detection.push(detection);
          const tail = tails[phraseOf(i, t)] ?? 0;
          parts.vadTail.push(tail);
          parts.listener.push(detection - tail);
        }
      }
    }

    const expected = calls * turns;
    console.log(
      `    turns answered ${measured.length}/${expected}; server turn events ${serverTurnCount}, matched to caller turns ${matched}; wall ${(wallMs / 1000).toFixed(1)} s`,
    );
    if (result.failures.length) console.log(`    failures: ${result.failures.slice(0, 10).join('; ')}`);
    const meanLead = [...leadIns.values()].reduce((a, b) => a + b, 0) / Math.max(1, leadIns.size);
    const meanM =
      [...byCall.keys()].reduce((n, i) => n + modelToFirstSentence(i, 1), 0) / Math.max(1, byCall.size);
    console.log(
      `\n  configured: end_of_turn ${endOfTurnMs} ms, recogniser ${delays.recognizerMs} ms, first token ${delays.firstTokenMs} ms + ${delays.tokenMs} ms per piece (first sentence complete after ~${meanM.toFixed(0)} ms), first audio ${delays.firstAudioMs} ms,`,
    );
    console.log(
      `  synthesised audio's own lead-in silence ~${meanLead.toFixed(0)} ms; provider total per turn ~${(endOfTurnMs + delays.recognizerMs + meanM + delays.firstAudioMs + meanLead).toFixed(0)} ms`,
    );
    console.log(`\n  ms (per turn)${' '.repeat(47)}p50    p95    max`);
    console.log(row('end of speech → first agent packet, at the caller', measured));
    console.log(row("Callwright's own share (measured − provider total)", own));
    const p95Own = percentile(own, 95);
    const p50Total = percentile(measured, 50);
    console.log(
      `    own share / total: ${((percentile(own, 50) / p50Total) * 100).toFixed(1)}% at p50, ${((p95Own / percentile(measured, 95)) * 100).toFixed(1)}% at p95; goal own p95 < ${GOAL_P95_MS} ms with 50 calls: ${p95Own < GOAL_P95_MS ? 'met' : 'not met'} (${f(p95Own)} ms at ${calls} calls)`,
    );
    console.log(`\n  from the server's turn events (ms after its end-of-turn mark, speechEnded)`);
    console.log(row('final_transcript', raw.final));
    console.log(row('first_token', raw.token));
    console.log(row('first_sentence', raw.sentence));
    console.log(row('first_audio', raw.audio));
    console.log(row('first_packet', raw.packet));
    console.log(row('own, after the transcript: packet − transcript − model − audio', serverAfterTranscript));
    console.log(row('own, from speechEnded: packet − recogniser − model − audio', serverOwn));
    console.log(`\n  where the own share goes (each part minus its configured provider delay)`);
    console.log(row('turn detection: end of speech → speechEnded − end_of_turn', parts.detection));
    console.log(row("  of which: voice activity's tail, fed directly (no RTP)", parts.vadTail));
    console.log(row('  of which: the rest (network, jitter buffer, VAD batch, ticks)', parts.listener));
    console.log(row('recognition: speechEnded → final line − recogniser', parts.recognition));
    console.log(row('model request: final line → first token − first token', parts.model));
    console.log(row('sentence cut: first token → first sentence − pieces', parts.sentence));
    console.log(row('synthesis: first sentence → first audio − first audio', parts.synthesis));
    console.log(row('playout: first audio → first RTP packet', parts.playout));

    const pct = (ms: number): string => `${((ms / wallMs) * 100).toFixed(0)}%`;
    console.log(
      `\n  server process: CPU ${pct((cpu.user + cpu.system) / 1000)} of one core (user ${pct(cpu.user / 1000)}, system ${pct(cpu.system / 1000)}); event loop delay p50 ${(loop.percentile(50) / 1e6).toFixed(1)} / p99 ${(loop.percentile(99) / 1e6).toFixed(1)} / max ${(loop.max / 1e6).toFixed(1)} ms; preempted ${((preempted * 1000) / wallMs).toFixed(0)}/s (involuntary context switches: the core went to another process)`,
    );
    if (lateness)
      console.log(
        `  media clock frame lateness p50 ${lateness.latenessP50Ms.toFixed(2)} / p99 ${lateness.latenessP99Ms.toFixed(2)} / max ${lateness.latenessMaxMs.toFixed(1)} ms, skipped ticks ${lateness.skippedTicks}`,
      );
    console.log(
      `  providers process CPU ${pct(provCpu)}, callers process CPU ${pct(callCpu)}; callers' event loop p99 ${result.loopP99Ms.toFixed(1)} ms (max ${result.loopMaxMs.toFixed(1)}), their send lateness p99 ${result.sendLateP99Ms.toFixed(1)} ms; load average ${loadavg()[0]?.toFixed(2)}`,
    );
  } finally {
    await server?.stop();
    for (const child of [providersProc, callersProc]) {
      if (child.exitCode === null) {
        child.send({ type: 'close' });
        await new Promise((r) => child.once('exit', r));
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

interface LatenessDetail {
  latenessP50Ms: number;
  latenessP99Ms: number;
  latenessMaxMs: number;
  skippedTicks: number;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
