/**
 * Speech benchmark: how fast calls hear the caller, and what listening costs the media clock.
 *
 *   npm run bench:speech
 *   BENCH_SECTIONS=latency,bargein,load,cpu (default: all)
 *   BENCH_UTTERANCES (20)       spoken phrases in the latency section
 *   BENCH_BARGEIN_TRIALS (15)   barge-ins measured
 *   BENCH_BASE_CALLS (100)      calls compared with and without recognition
 *   BENCH_CALLS (2,5,10,25,50,100,150)  recognised calls per ramp step
 *   BENCH_SECONDS (12)          measured window per load step
 *   BENCH_CPU_CALLS (10)        calls of the CPU section when the load section does not run
 *   BENCH_LOAD_HINTS (none)     none: callers' utterances go to dictation (an agent without intent
 *                               phrases); phrases: the agent's intent phrases are the bench phrases
 *   BENCH_KEEPUP_P95_MS (2000)  recognition keeps up when its final-result latency p95 is below this
 *   BENCH_DECODER_NICE (0)      another niceness for the decoder processes (0: as the server runs them, nice 10)
 *   BENCH_RTP_MIN / BENCH_RTP_MAX (29000-29999): the lower half for this process, the upper half for
 *   the callers (peer process, niceness BENCH_PEER_NICE, default 0) and the barge-in caller socket
 *   BENCH_VERBOSE=1             print every utterance's transcripts
 *
 * Sections:
 *  latency  espeak-ng phrases (8 kHz) fed at real time, 20 ms frames, into one CallListener per
 *           recogniser (the call's own wiring: voice activity worker, TurnDetector with the default
 *           speech.turn, recogniser marks): pocketsphinx without and with phrase hints, and the local
 *           wire-protocol doubles of Deepgram and OpenAI transcription. Latency of the utterance's last
 *           final line, from the detector's speechEnded and from the true end of the speech audio.
 *           The doubles answer at once: their numbers are our client's overhead plus the endpointing
 *           rules, not the providers' own latency. Word error rate for pocketsphinx.
 *  bargein  an RtpMediaEngine session plays a long tone (every packet non-silent) to a plain UDP
 *           socket that sends PCMU RTP: silence, then a spoken phrase. Time from the first speech
 *           packet sent to the last non-silent agent packet received: tap → VoiceActivityPool →
 *           TurnDetector.bargeIn → stopPlayback.
 *  load     N sessions, each with a CallListener (tap → VAD → pocketsphinx), callers in a peer process
 *           looping three phrases with 2 s pauses; frame lateness from engine.detail(), compared with
 *           the same calls not listening and listening with voice activity only; then a ramp and the
 *           ceiling: the largest step with p99 < 5 ms and recognition keeping up (final-result p95
 *           below BENCH_KEEPUP_P95_MS and the decodes in flight not growing).
 *  cpu      CPU per minute of recognised call audio: this process (process.cpuUsage, includes the
 *           voice activity thread) plus the pocketsphinx decoder processes (/proc/<pid>/stat).
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, setPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { CallListener, type ListenerEvents } from '../src/calls/speech/call-listener.js';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../src/config/load.js';
import { DeepgramRecognizer } from '../src/speech/recognition/deepgram-recognizer.js';
import { OpenAiTranscriptionRecognizer } from '../src/speech/recognition/openai-transcription-recognizer.js';
import { PocketsphinxRecognizer } from '../src/speech/recognition/pocketsphinx-recognizer.js';
import type { RecognitionHints, SpeechRecognizer } from '../src/speech/speech-recognizer.js';
import { resolveSpeech, type ResolvedSpeech } from '../src/speech/turn-settings.js';
import { TurnDetector } from '../src/speech/vad/turn-detector.js';
import { VoiceActivityPool } from '../src/speech/vad/voice-activity.js';
import { decodeTable, encodeTable } from '../src/telephony/embedded/media/g711.js';
import { createMediaEngine, type RtpMediaEngine } from '../src/telephony/embedded/media/index.js';
import type { RtpMediaSession } from '../src/telephony/embedded/media/rtp-media-session.js';
import { writeWav8kMono } from '../src/telephony/embedded/media/wav-writer.js';
import type { AudioTap, CallLeg } from '../src/telephony/port.js';
import { startDeepgramServer } from '../test/helpers/speech-providers/deepgram-server.js';
import { startOpenAiTranscriptionServer } from '../test/helpers/speech-providers/openai-transcription-server.js';
import { speak, type Spoken } from '../test/helpers/speech-providers/spoken-audio.js';
import type { SpeechPeerReply, SpeechPeerRequest } from './speech-peer.js';

const env = process.env;
const sections = new Set((env.BENCH_SECTIONS ?? 'latency,bargein,load,cpu').split(',').map((s) => s.trim()));
const utteranceCount = Number(env.BENCH_UTTERANCES ?? 20);
const bargeInTrials = Number(env.BENCH_BARGEIN_TRIALS ?? 15);
const baseCalls = Number(env.BENCH_BASE_CALLS ?? 100);
const steps = (env.BENCH_CALLS ?? '2,5,10,25,50,100,150').split(',').map(Number);
const seconds = Number(env.BENCH_SECONDS ?? 12);
const cpuCalls = Number(env.BENCH_CPU_CALLS ?? 10);
const loadHints = env.BENCH_LOAD_HINTS === 'phrases' ? 'phrases' : 'none';
const keepUpP95Ms = Number(env.BENCH_KEEPUP_P95_MS ?? 2000);
const peerNice = Number(env.BENCH_PEER_NICE ?? 0);
const decoderNice = Number(env.BENCH_DECODER_NICE ?? 0);
const verbose = env.BENCH_VERBOSE === '1';
const rtpMin = Number(env.BENCH_RTP_MIN ?? 29000);
const rtpMax = Number(env.BENCH_RTP_MAX ?? 29999);
const rtpMid = rtpMin + Math.floor((rtpMax - rtpMin + 1) / 2);
/** The issue's goal for frame lateness. */
const LATENESS_GOAL_MS = 5;
const FRAME = 160;
const FRAME_MS = 20;
/** Pause after each phrase in the callers' loop (load section). */
const CALLER_PAUSE_MS = 2000;

/** What callers say: requests a phone agent hears, all words in the US English dictionary. */
const PHRASES = [
  'I would like to speak to a human',
  'what time do you open tomorrow',
  'yes please',
  'no thank you',
  'cancel my appointment for next week',
  'can you repeat that please',
  'I need to change my address',
  'my order has not arrived yet',
  'how much does the delivery cost',
  'please call me back this afternoon',
  'I want to pay my bill',
  'is the doctor available on monday',
  'transfer me to the billing department',
  'I lost my card',
  'the internet is not working',
  'book a table for two at seven',
  'where is the nearest store',
  'I have a question about my invoice',
  'that is all thank you goodbye',
  'can I talk to someone in sales',
];

const config = loadConfig({ env: {}, file: DEFAULT_CONFIG_FILE });
const speech: ResolvedSpeech = resolveSpeech(config.speech, undefined);
const psOptions = {
  python: config.speech.pocketsphinx.python,
  modelDir: config.speech.pocketsphinx.model_dir,
  decoders: config.speech.pocketsphinx.decoders,
};
const decoderCount = psOptions.decoders > 0 ? psOptions.decoders : availableParallelism();
const silentLog = pino({ level: 'silent' });
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- numbers --------------------------------------------------------------------------------------

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

function ms(v: number): string {
  if (Number.isNaN(v)) return 'n/a';
  if (v === Infinity) return `>${keepUpP95Ms}`;
  return v.toFixed(0);
}

function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z' ]+/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Word-level edit distance (substitutions + deletions + insertions). */
function wordErrors(reference: string[], hypothesis: string[]): number {
  let prev = Array.from({ length: hypothesis.length + 1 }, (_, j) => j);
  for (let i = 1; i <= reference.length; i++) {
    const row = [i];
    for (let j = 1; j <= hypothesis.length; j++) {
      const same = reference[i - 1] === hypothesis[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + same);
    }
    prev = row;
  }
  return prev[hypothesis.length] as number;
}

/** This process's pocketsphinx decoder processes: pid and CPU ms used so far (utime + stime). */
function decoders(): { pid: number; cpuMs: number }[] {
  const found: { pid: number; cpuMs: number }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    // proc(5): after "pid (comm) ": state ppid … utime (14th field) stime (15th).
    const f = stat.slice(close + 2).split(' ');
    if (Number(f[1]) !== process.pid || !comm.startsWith('python')) continue;
    found.push({ pid: Number(name), cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK });
  }
  return found;
}

function decoderCpuMs(): number {
  return decoders().reduce((n, d) => n + d.cpuMs, 0);
}

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

// ---- wiring ---------------------------------------------------------------------------------------

/**
 * A call leg that only listens, for CallListener (it calls nothing else): the benchmark drives the
 * product's own listener wiring without a SIP dialog around it.
 */
function listeningLeg(listen: (onFrame: (frame: Int16Array) => void) => AudioTap): CallLeg {
  const leg: Pick<CallLeg, 'listen'> = { listen: async (onFrame) => listen(onFrame) };
  return leg as CallLeg;
}

const noEvents: ListenerEvents = {
  bargeIn() {},
  speechStarted() {},
  speechEnded() {},
  heard() {},
  failed() {},
};

/**
 * Pocketsphinx with timing: when each utterance was handed over (the stream's speechEnded) and when
 * its decode finished. The product keeps its queue private; the benchmark reads its length and, between
 * steps, empties it so a backlog left by an overloaded step does not spill into the next.
 */
class TimedPocketsphinx extends PocketsphinxRecognizer {
  readonly jobs: { endedAt: number; doneAt: number; audioMs: number }[] = [];

  override decode(pcm: Int16Array, hints: RecognitionHints): Promise<{ text: string; confidence: number }> {
    const job = { endedAt: performance.now(), doneAt: NaN, audioMs: pcm.length / 8 };
    this.jobs.push(job);
    const done = super.decode(pcm, hints);
    done.then(
      () => (job.doneAt = performance.now()),
      () => (job.doneAt = performance.now()),
    );
    return done;
  }

  get queued(): number {
    return (this as unknown as { queue: unknown[] }).queue.length;
  }

  get inFlight(): number {
    return this.jobs.filter((j) => Number.isNaN(j.doneAt)).length;
  }

  /** Loads the model in every decoder process before anything is timed. */
  async warm(): Promise<void> {
    await Promise.all(
      Array.from({ length: decoderCount }, () => super.decode(new Int16Array(4000), { phrases: [] })),
    );
    if (decoderNice !== 0) for (const d of decoders()) setPriority(d.pid, decoderNice);
  }

  override async close(): Promise<void> {
    (this as unknown as { queue: unknown[] }).queue.length = 0;
    await super.close();
  }
}

/** Writes `samples` as 20 ms frames at real time; returns when each frame was written. */
async function feedRealTime(
  samples: Int16Array,
  onFrame: (frame: Int16Array) => void,
): Promise<Float64Array> {
  const frames = Math.floor(samples.length / FRAME);
  const writtenAt = new Float64Array(frames);
  const t0 = performance.now();
  let n = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(frames, Math.floor((performance.now() - t0) / FRAME_MS));
      while (n < due) {
        onFrame(samples.slice(n * FRAME, (n + 1) * FRAME));
        writtenAt[n] = performance.now();
        n++;
      }
      if (n >= frames) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  return writtenAt;
}

// ---- 1. end of speech → final transcript ----------------------------------------------------------

interface Heard {
  at: number;
  text: string;
  startMs?: number;
  endMs?: number;
}

async function latencySection(dir: string, pool: VoiceActivityPool): Promise<void> {
  const texts = PHRASES.slice(0, utteranceCount);
  console.log(
    `\n[1] end of speech → final transcript: ${texts.length} espeak-ng phrases (en-us, 8 kHz), fed at real time in 20 ms frames`,
  );
  console.log(
    `    into one CallListener per recogniser (voice activity mode ${speech.vadMode}, end_of_turn ${speech.turn.endOfTurnMs} ms, min_speech ${speech.turn.minSpeechMs} ms); all four listen at once`,
  );
  const spoken: Spoken[] = texts.map((t, i) => speak(t, dir, `u${i}`, 300, 1400));
  const offsets: number[] = [];
  let total = 0;
  for (const s of spoken) {
    offsets.push(total);
    total += s.samples.length;
  }
  const audio = new Int16Array(total);
  spoken.forEach((s, i) => audio.set(s.samples, offsets[i] as number));
  const utterances = spoken.map((s, i) => {
    const off = ((offsets[i] as number) * 1000) / 8000;
    return {
      text: texts[i] as string,
      fromMs: off,
      toMs: off + (s.samples.length * 1000) / 8000,
      speechEndMs: off + s.speechEndMs,
    };
  });

  const key = 'bench-key';
  const deepgramDouble = await startDeepgramServer({ apiKey: key });
  const openaiDouble = await startOpenAiTranscriptionServer({ apiKey: key });
  for (const t of texts) {
    deepgramDouble.say(t);
    openaiDouble.say(t);
  }
  const ps = new TimedPocketsphinx(psOptions);
  await ps.warm();
  const deepgram = new DeepgramRecognizer({
    url: deepgramDouble.url,
    apiKey: key,
    model: config.speech.deepgram.model,
    endpointingMs: config.speech.deepgram.endpointing_ms,
    timeoutMs: config.speech.provider_timeout_ms,
  });
  const openai = new OpenAiTranscriptionRecognizer({
    baseUrl: openaiDouble.baseUrl,
    apiKey: key,
    model: config.speech.openai_transcription.model,
    timeoutMs: config.speech.provider_timeout_ms,
  });
  const subjects: { name: string; recognizer: SpeechRecognizer; phrases: string[]; wer: boolean }[] = [
    { name: 'pocketsphinx, no hints (dictation)', recognizer: ps, phrases: [], wer: true },
    { name: `pocketsphinx, hints: the ${texts.length} phrases`, recognizer: ps, phrases: texts, wer: true },
    {
      name: `deepgram double (endpointing ${config.speech.deepgram.endpointing_ms} ms)`,
      recognizer: deepgram,
      phrases: [],
      wer: false,
    },
    { name: 'openai-transcription double', recognizer: openai, phrases: [], wer: false },
  ];
  const frameSinks: ((frame: Int16Array) => void)[] = [];
  const runs = subjects.map((subject) => {
    const heard: Heard[] = [];
    const ended: { endMs: number; at: number }[] = [];
    let failure: string | undefined;
    const listener = new CallListener(
      listeningLeg((onFrame) => {
        frameSinks.push(onFrame);
        return { sampleRate: 8000, stop() {}, stopped: new Promise(() => {}) };
      }),
      speech,
      subject.recognizer,
      pool,
      subject.phrases,
      {
        ...noEvents,
        speechEnded: (endMs) => ended.push({ endMs, at: performance.now() }),
        heard: (line) => {
          if (!line.final) return;
          heard.push({
            at: performance.now(),
            text: line.text,
            ...(line.startMs !== undefined ? { startMs: line.startMs } : {}),
            ...(line.endMs !== undefined ? { endMs: line.endMs } : {}),
          });
        },
        failed: (err) => (failure = err.message),
      },
      silentLog,
    );
    return { subject, listener, heard, ended, failure: () => failure };
  });
  for (const r of runs) await r.listener.start();
  const writtenAt = await feedRealTime(audio, (frame) => {
    for (const sink of frameSinks) sink(frame);
  });
  // Let the last results in (decodes, HTTP answers), then end the streams.
  await sleep(3000);
  for (const r of runs) r.listener.stop();
  await sleep(500);

  const wallOf = (streamMs: number): number =>
    writtenAt[Math.min(writtenAt.length - 1, Math.max(0, Math.ceil(streamMs / FRAME_MS) - 1))] as number;
  console.log(
    '    recogniser                              heard  from speechEnded p50 / p95 (ms)  from end of audio p50 / p95 (ms)  WER (errors / words)',
  );
  let detectorDelay: number[] = [];
  for (const r of runs) {
    const fromEnded: number[] = [];
    const fromAudio: number[] = [];
    let errors = 0;
    let refWords = 0;
    let exact = 0;
    let heardCount = 0;
    const lines: string[] = [];
    const delays: number[] = [];
    for (const u of utterances) {
      const inside = (t: number): boolean => t >= u.fromMs && t < u.toMs;
      const mark = r.ended.filter((e) => inside(e.endMs)).at(-1);
      const finals = r.heard.filter((h) => {
        const mid = h.startMs !== undefined && h.endMs !== undefined ? (h.startMs + h.endMs) / 2 : h.endMs;
        return mid !== undefined && inside(mid);
      });
      const audioEnd = wallOf(u.speechEndMs);
      if (mark) delays.push(mark.at - audioEnd);
      const last = finals.at(-1);
      if (last) {
        heardCount++;
        fromAudio.push(last.at - audioEnd);
        if (mark) fromEnded.push(last.at - mark.at);
      }
      const hypothesis = finals.map((f) => f.text).join(' ');
      const ref = words(u.text);
      const e = wordErrors(ref, words(hypothesis));
      errors += e;
      refWords += ref.length;
      if (e === 0) exact++;
      lines.push(`      ${JSON.stringify(u.text)} → ${JSON.stringify(hypothesis)}`);
    }
    if (r.subject.name.startsWith('pocketsphinx, no hints')) detectorDelay = delays;
    const wer = r.subject.wer
      ? `${((errors / refWords) * 100).toFixed(1)}% (${errors}/${refWords}; ${exact}/${utterances.length} exact)`
      : 'scripted text';
    console.log(
      [
        `    ${r.subject.name}`.padEnd(44),
        `${heardCount}/${utterances.length}`.padStart(5),
        `${ms(percentile(fromEnded, 50))} / ${ms(percentile(fromEnded, 95))}`.padStart(33),
        `${ms(percentile(fromAudio, 50))} / ${ms(percentile(fromAudio, 95))}`.padStart(34),
        `  ${wer}`,
      ].join(''),
    );
    if (r.failure()) console.log(`      failed: ${r.failure()}`);
    if (verbose) for (const l of lines) console.log(l);
  }
  console.log(
    `    the detector's speechEnded came ${ms(percentile(detectorDelay, 50))} / ${ms(percentile(detectorDelay, 95))} ms (p50 / p95) after the true end of the speech audio (end_of_turn ${speech.turn.endOfTurnMs} ms + detection)`,
  );
  console.log(
    '    negative "from speechEnded": the final line came before the turn ended (Deepgram endpoints on its own silence rule)',
  );
  await ps.close();
  await deepgram.close();
  await openai.close();
  await deepgramDouble.close();
  await openaiDouble.close();
}

// ---- 2. barge-in ----------------------------------------------------------------------------------

function answerSdp(port: number): string {
  return [
    'v=0',
    `o=- 1 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

async function bargeInSection(dir: string, engine: RtpMediaEngine, pool: VoiceActivityPool): Promise<void> {
  console.log(
    `\n[2] barge-in stop latency: ${bargeInTrials} trials; the agent plays a long 440 Hz tone (every packet non-silent) to a UDP caller`,
  );
  console.log(
    `    sending PCMU RTP; silence, then a spoken phrase. barge_in_min_speech ${speech.turn.bargeInMinSpeechMs} ms; path: tap → VoiceActivityPool → TurnDetector.bargeIn → stopPlayback`,
  );
  const phrases = PHRASES.slice(0, Math.min(bargeInTrials, PHRASES.length)).map((t, i) => {
    const s = speak(t, dir, `b${i}`, 0, 0);
    // From the first loud sample on, so the first speech packet carries the onset.
    const from = Math.floor((s.speechStartMs * 8000) / 1000);
    return s.samples.slice(from, Math.ceil((s.speechEndMs * 8000) / 1000));
  });
  const agent = await engine.createRtpSession();
  const caller: Socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    caller.once('error', reject);
    caller.bind(rtpMid + (rtpMid % 2), '127.0.0.1', () => resolve());
  });
  agent.createOffer();
  agent.applyAnswer(answerSdp(caller.address().port));
  const ulaw = encodeTable('PCMU');
  const fromUlaw = decodeTable('PCMU');
  let lastLoudAt = 0;
  let firstQuietAt = 0;
  caller.on('message', (msg: Buffer) => {
    const now = performance.now();
    for (let i = 12; i < msg.length; i++) {
      if (Math.abs(fromUlaw[msg[i] as number] as number) > 200) {
        lastLoudAt = now;
        return;
      }
    }
    if (onsetAt > 0 && firstQuietAt === 0) firstQuietAt = now;
  });
  // The caller's RTP: one packet every 20 ms on an absolute schedule.
  let talking: Int16Array | null = null;
  let pos = 0;
  let onsetAt = 0;
  let seq = 0;
  let running = true;
  const ssrc = 0x5eec4;
  const start = performance.now();
  let k = 0;
  const send = (): void => {
    if (!running) return;
    const packet = Buffer.alloc(12 + FRAME);
    packet[0] = 0x80;
    packet[1] = 0;
    packet.writeUInt16BE(seq++ & 0xffff, 2);
    packet.writeUInt32BE((k * FRAME) >>> 0, 4);
    packet.writeUInt32BE(ssrc, 8);
    let first = false;
    if (talking && pos < talking.length) {
      first = pos === 0;
      for (let i = 0; i < FRAME; i++)
        packet[12 + i] = ulaw[((talking[pos + i] ?? 0) as number) + 32768] as number;
      pos += FRAME;
    } else packet.fill(0xff, 12);
    caller.send(packet, agent.localPort, '127.0.0.1');
    if (first) onsetAt = performance.now();
    k++;
    setTimeout(send, Math.max(0, start + k * FRAME_MS - performance.now()));
  };
  send();

  let bargeAt = 0;
  const ps = new TimedPocketsphinx(psOptions);
  await ps.warm();
  const listener = new CallListener(
    listeningLeg((onFrame) => agent.listen(onFrame)),
    speech,
    ps,
    pool,
    [],
    {
      ...noEvents,
      bargeIn: () => {
        bargeAt = performance.now();
        agent.stopPlayback();
      },
    },
    silentLog,
  );
  await listener.start();
  await sleep(500);
  const stops: number[] = [];
  const quiets: number[] = [];
  const detects: number[] = [];
  let missed = 0;
  for (let i = 0; i < bargeInTrials; i++) {
    bargeAt = 0;
    void agent.play({ kind: 'tone', frequencies: [440], durationMs: 120_000 });
    await sleep(700 + Math.random() * 500);
    if (performance.now() - lastLoudAt > 100)
      throw new Error('the agent tone does not reach the caller socket');
    const phrase = phrases[i % phrases.length] as Int16Array;
    onsetAt = 0;
    firstQuietAt = 0;
    pos = 0;
    talking = phrase;
    await sleep((phrase.length * 1000) / 8000 + 200);
    talking = null;
    await sleep(1300); // the turn ends (end_of_turn) and the detector is ready for the next onset
    if (bargeAt === 0 || performance.now() - lastLoudAt < 500) {
      missed++;
      agent.stopPlayback();
      continue;
    }
    stops.push(lastLoudAt - onsetAt);
    quiets.push(firstQuietAt - onsetAt);
    detects.push(bargeAt - onsetAt);
  }
  running = false;
  listener.stop();
  agent.close();
  caller.close();
  await ps.close();
  console.log(
    `    speech onset → last non-silent agent packet at the caller  p50 ${ms(percentile(stops, 50))} ms  p95 ${ms(percentile(stops, 95))} ms  max ${ms(Math.max(...stops))} ms`,
  );
  console.log(
    `    speech onset → first silent agent packet at the caller     p50 ${ms(percentile(quiets, 50))} ms  p95 ${ms(percentile(quiets, 95))} ms`,
  );
  console.log(
    `    speech onset → bargeIn event (stopPlayback called)         p50 ${ms(percentile(detects, 50))} ms  p95 ${ms(percentile(detects, 95))} ms`,
  );
  console.log(
    `    ${stops.length}/${bargeInTrials} trials stopped the agent${missed ? `, ${missed} did not` : ''}; made of: barge_in_min_speech (${speech.turn.bargeInMinSpeechMs} ms) of speech, the 40 ms receive jitter buffer, detector batches of 40 ms, the next 20 ms tick`,
  );
}

// ---- 3/4. load and CPU ----------------------------------------------------------------------------

interface Peer {
  child: ChildProcess;
  ask: (m: SpeechPeerRequest) => Promise<SpeechPeerReply>;
}

function startPeer(): Peer {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const child = fork(path.join(here, 'speech-peer.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...env, BENCH_PEER_RTP_MIN: String(rtpMid + 2), BENCH_PEER_RTP_MAX: String(rtpMax) },
  });
  // The callers are the load generator, yet not niced as in bench/media.ts: the decoder processes run
  // at the server's priority and would starve a niced caller process, which then stops sending speech.
  if (child.pid && peerNice !== 0) setPriority(child.pid, peerNice);
  const ask = (m: SpeechPeerRequest): Promise<SpeechPeerReply> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('speech peer did not answer in 60 s')), 60_000);
      child.once('message', (reply: SpeechPeerReply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      child.send(m);
    });
  return { child, ask };
}

type Listening = 'no' | 'vad' | 'recognised';

interface StepResult {
  calls: number;
  listening: Listening;
  p50: number;
  p99: number;
  max: number;
  skipped: number;
  wallMs: number;
  cpuHereMs: number;
  cpuDecodersMs: number;
  /** Utterances handed to the decoders in the window, and decodes finished in it. */
  ended: number;
  decoded: number;
  endedAudioMs: number;
  decodedAudioMs: number;
  latP50: number;
  latP95: number;
  inFlightStart: number;
  inFlightEnd: number;
  keepsUp: boolean;
  preemptedPerS: number;
  loopP99: number;
  rx: number;
  rxExpected: number;
  load1: number;
}

async function runStep(
  engine: RtpMediaEngine,
  pool: VoiceActivityPool,
  peer: Peer,
  loopWav: string,
  staggerMs: number,
  calls: number,
  listening: Listening,
): Promise<StepResult> {
  const sessions: RtpMediaSession[] = [];
  for (let i = 0; i < calls; i++) sessions.push(await engine.createRtpSession());
  const reply = await peer.ask({
    type: 'offers',
    offers: sessions.map((s) => s.createOffer()),
    wav: loopWav,
    staggerMs,
  });
  if (reply.type !== 'answers') throw new Error('unexpected peer reply');
  reply.answers.forEach((answer, i) => sessions[i]?.applyAnswer(answer));
  let ps: TimedPocketsphinx | undefined;
  const stops: (() => void)[] = [];
  if (listening === 'recognised') {
    ps = new TimedPocketsphinx(psOptions);
    await ps.warm();
    const phrases = loadHints === 'phrases' ? PHRASES : [];
    for (const s of sessions) {
      const l = new CallListener(
        listeningLeg((onFrame) => s.listen(onFrame)),
        speech,
        ps,
        pool,
        phrases,
        noEvents,
        silentLog,
      );
      await l.start();
      stops.push(() => l.stop());
    }
  } else if (listening === 'vad') {
    // The listener's voice activity half alone: tap → worker → TurnDetector, no recogniser.
    for (const s of sessions) {
      const turn = new TurnDetector(speech.turn, { bargeIn() {}, speechStarted() {}, speechEnded() {} });
      const vad = pool.open(speech.vadMode, (voiced) => {
        for (const v of voiced) turn.frame(v === 1);
      });
      const tap = s.listen((frame) => vad.write(frame));
      stops.push(() => {
        tap.stop();
        vad.close();
      });
    }
  }
  await sleep(staggerMs + 1500); // every caller is talking, jitter buffers are full
  const received = (): number => sessions.reduce((n, s) => n + s.counters.received, 0);
  const rx0 = received();
  const jobs0 = ps?.jobs.length ?? 0;
  const inFlightStart = ps?.inFlight ?? 0;
  engine.resetStats();
  const cpu0 = process.cpuUsage();
  const dec0 = decoderCpuMs();
  const switches0 = process.resourceUsage().involuntaryContextSwitches;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const t1 = performance.now();
  const d = engine.detail();
  const cpuHereMs = cpuMs(process.cpuUsage(cpu0));
  const cpuDecodersMs = decoderCpuMs() - dec0;
  loop.disable();
  const preempted = process.resourceUsage().involuntaryContextSwitches - switches0;
  const rx = received() - rx0;
  const inFlightEnd = ps?.inFlight ?? 0;
  const wallMs = t1 - t0;
  // Final-result latency of the utterances that ended in the window; one still undecoded at its end
  // and older than the keep-up bound counts as over it. Utterances that ended in the window's last
  // BENCH_KEEPUP_P95_MS are left out (their decodes need not be done yet).
  const windowJobs = (ps?.jobs ?? []).slice(jobs0).filter((j) => j.endedAt >= t0 && j.endedAt < t1);
  const latencies = windowJobs
    .filter((j) => j.endedAt < t1 - keepUpP95Ms)
    .map((j) => (!Number.isNaN(j.doneAt) && j.doneAt <= t1 ? j.doneAt - j.endedAt : Infinity));
  const decodedJobs = (ps?.jobs ?? []).filter((j) => j.doneAt >= t0 && j.doneAt < t1);
  const latP95 = percentile(latencies, 95);
  const result: StepResult = {
    calls,
    listening,
    p50: d.latenessP50Ms,
    p99: d.latenessP99Ms,
    max: d.latenessMaxMs,
    skipped: d.skippedTicks,
    wallMs,
    cpuHereMs,
    cpuDecodersMs,
    ended: windowJobs.length,
    decoded: decodedJobs.length,
    endedAudioMs: windowJobs.reduce((n, j) => n + j.audioMs, 0),
    decodedAudioMs: decodedJobs.reduce((n, j) => n + j.audioMs, 0),
    latP50: percentile(latencies, 50),
    latP95,
    inFlightStart,
    inFlightEnd,
    keepsUp:
      listening === 'recognised' &&
      latencies.length > 0 &&
      latP95 < keepUpP95Ms &&
      inFlightEnd <= inFlightStart + decoderCount,
    preemptedPerS: (preempted * 1000) / wallMs,
    loopP99: loop.percentile(99) / 1e6,
    rx,
    rxExpected: Math.round((calls * 50 * wallMs) / 1000),
    load1: loadavg()[0] ?? 0,
  };
  for (const stop of stops) stop();
  await ps?.close();
  for (const s of sessions) s.close();
  await peer.ask({ type: 'hangup' });
  await sleep(500);
  return result;
}

const STEP_HEADER =
  '    calls  listening   lateness p50 / p99 / max (ms)  skipped  CPU here %  decoders %  utterances ended / decoded  final p50 / p95 (ms)  in flight  keeps up  rx got/expected  loop p99 (ms)  preempted/s  load avg';

function printStep(r: StepResult): void {
  const pct = (v: number): string => ((v / r.wallMs) * 100).toFixed(0);
  const rec = r.listening === 'recognised';
  console.log(
    [
      String(r.calls).padStart(9),
      r.listening.padStart(11),
      `${r.p50.toFixed(2)} / ${r.p99.toFixed(2)} / ${r.max.toFixed(1)}`.padStart(32),
      String(r.skipped).padStart(9),
      pct(r.cpuHereMs).padStart(12),
      (rec ? pct(r.cpuDecodersMs) : '-').padStart(12),
      (rec ? `${r.ended} / ${r.decoded}` : '-').padStart(28),
      (rec ? `${ms(r.latP50)} / ${ms(r.latP95)}` : '-').padStart(22),
      (rec ? `${r.inFlightStart}→${r.inFlightEnd}` : '-').padStart(11),
      (rec ? (r.keepsUp ? 'yes' : 'no') : '-').padStart(10),
      `${r.rx}/${r.rxExpected}`.padStart(17),
      r.loopP99.toFixed(1).padStart(15),
      r.preemptedPerS.toFixed(0).padStart(13),
      r.load1.toFixed(2).padStart(10),
    ].join(''),
  );
}

async function main(): Promise<void> {
  const bench = Object.entries(env)
    .filter(([k]) => k.startsWith('BENCH_'))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  console.log(`speech benchmark: ${bench ? `${bench} ` : ''}npm run bench:speech  (node ${process.version})`);
  console.log(
    `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        ' ',
      )} at start; pocketsphinx decoders: ${decoderCount}${decoderNice ? ` (nice ${decoderNice})` : ''}; sections: ${[...sections].join(',')}`,
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'callwright-speech-bench-'));
  const pool = new VoiceActivityPool();
  const engine = createMediaEngine({
    address: '127.0.0.1',
    advertised_address: '',
    rtp_port_min: rtpMin,
    rtp_port_max: rtpMid - 1,
    timeout_ms: 0,
    hold_music: '',
  });
  const began = performance.now();
  try {
    if (sections.has('latency')) await latencySection(dir, pool);
    if (sections.has('bargein')) await bargeInSection(dir, engine, pool);
    if (sections.has('load') || sections.has('cpu')) await loadSections(dir, engine, pool);
  } finally {
    await pool.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\ndone in ${((performance.now() - began) / 1000).toFixed(0)} s`);
}

/**
 * How long handing one utterance to pocketsphinx keeps this thread (the one that paces RTP) busy: the
 * decode call's synchronous part and the continuation that prepares the audio run before the next
 * setImmediate.
 */
async function handOverHold(parts: Int16Array[]): Promise<{ p50: number; max: number; audioMs: number }> {
  const ps = new TimedPocketsphinx(psOptions);
  await ps.warm();
  const holds: number[] = [];
  let audioMs = 0;
  for (let i = 0; i < 6; i++) {
    const speechPart = parts[i % parts.length] as Int16Array;
    // As the utterance buffer cuts it: 300 ms lead-in, the speech, the end-of-turn silence.
    const pcm = new Int16Array(2400 + speechPart.length + speech.turn.endOfTurnMs * 8);
    pcm.set(speechPart, 2400);
    audioMs = pcm.length / 8;
    const t = performance.now();
    const decoding = ps.decode(pcm, { phrases: [] });
    await new Promise((r) => setImmediate(r));
    holds.push(performance.now() - t);
    await decoding;
  }
  await ps.close();
  return { p50: percentile(holds, 50), max: Math.max(...holds), audioMs };
}

async function loadSections(dir: string, engine: RtpMediaEngine, pool: VoiceActivityPool): Promise<void> {
  // The callers' loop: three phrases, each followed by a pause.
  const said = [PHRASES[0], PHRASES[4], PHRASES[9]].map((t, i) => speak(t as string, dir, `loop${i}`, 0, 0));
  const parts = said.map((s) =>
    s.samples.slice(Math.floor((s.speechStartMs * 8000) / 1000), Math.ceil((s.speechEndMs * 8000) / 1000)),
  );
  const pause = (CALLER_PAUSE_MS * 8000) / 1000;
  const loop = new Int16Array(parts.reduce((n, p) => n + p.length + pause, 0));
  let at = 0;
  for (const p of parts) {
    loop.set(p, at);
    at += p.length + pause;
  }
  const loopWav = path.join(dir, 'callers.wav');
  await writeWav8kMono(loopWav, loop);
  const loopMs = (loop.length * 1000) / 8000;
  const speechShare = parts.reduce((n, p) => n + p.length, 0) / loop.length;
  const staggerMs = loopMs / parts.length;
  const peer = startPeer();
  const results: StepResult[] = [];
  const step = async (calls: number, listening: Listening): Promise<StepResult> => {
    const r = await runStep(engine, pool, peer, loopWav, staggerMs, calls, listening);
    printStep(r);
    results.push(r);
    return r;
  };
  try {
    if (sections.has('load')) {
      console.log(
        `\n[3] RTP frame lateness while listening: each call = an RtpMediaEngine session; "recognised" = a CallListener (tap → VAD → pocketsphinx, ${loadHints === 'phrases' ? `hints: the ${PHRASES.length} phrases` : 'no hints: dictation'}),`,
      );
      console.log(
        `    "vad" = tap → VAD → TurnDetector only, "no" = not listening. Callers (peer process, nice ${peerNice}) loop 3 phrases with ${CALLER_PAUSE_MS / 1000} s pauses`,
      );
      console.log(
        `    (${(loopMs / 1000).toFixed(1)} s loop, ${(speechShare * 100).toFixed(0)}% speech), starts staggered over ${(staggerMs / 1000).toFixed(1)} s; ${seconds} s measured per step. Lateness = when a frame's packet left minus its deadline.`,
      );
      const held = await handOverHold(parts);
      console.log(
        `    handing one utterance (${(held.audioMs / 1000).toFixed(1)} s with lead-in and end-of-turn silence) to pocketsphinx holds this thread ${held.p50.toFixed(1)} ms p50, ${held.max.toFixed(1)} ms max (on this thread: handing the audio to the preparation worker, then the write to the decoder; upsampling and encoding run on the worker)`,
      );
      console.log(STEP_HEADER);
      const plain = await step(baseCalls, 'no');
      const vadOnly = await step(baseCalls, 'vad');
      const ramp = [...new Set([...steps, baseCalls])].sort((a, b) => a - b);
      for (const calls of ramp) await step(calls, 'recognised');
      const base = results.find((r) => r.calls === baseCalls && r.listening === 'recognised');
      if (base) {
        console.log(
          `    ${baseCalls} calls, lateness p99: recognised ${base.p99.toFixed(2)} ms, VAD only ${vadOnly.p99.toFixed(2)} ms, not listening ${plain.p99.toFixed(2)} ms; ratio recognised / not listening ${(base.p99 / plain.p99).toFixed(2)}×, VAD only / not listening ${(vadOnly.p99 / plain.p99).toFixed(2)}× (goal p99 < ${LATENESS_GOAL_MS} ms with recognition: ${base.p99 < LATENESS_GOAL_MS ? 'met' : 'not met'})`,
        );
      }
      const rampResults = results.filter((r) => r.listening === 'recognised' && steps.includes(r.calls));
      const fits = (r: StepResult): boolean => r.p99 < LATENESS_GOAL_MS && r.keepsUp;
      const fit = rampResults.filter(fits);
      const ceiling = fit.length ? Math.max(...fit.map((r) => r.calls)) : 0;
      console.log(
        `    concurrency ceiling for recognised calls on this machine: ${ceiling ? `${ceiling} calls` : `below ${Math.min(...steps)} calls (no step met both conditions)`} (lateness p99 < ${LATENESS_GOAL_MS} ms and recognition keeping up: final p95 < ${keepUpP95Ms} ms, decodes in flight not growing)`,
      );
      const over = rampResults
        .filter((r) => !fits(r))
        .map(
          (r) =>
            `${r.calls}: ${[r.p99 >= LATENESS_GOAL_MS ? `p99 ${r.p99.toFixed(1)} ms` : '', r.keepsUp ? '' : 'recognition behind'].filter(Boolean).join(' + ')}`,
        );
      if (over.length) console.log(`    steps over the limit: ${over.join('; ')}`);
    }
    if (sections.has('cpu')) {
      console.log(
        `\n[4] CPU per recognised call: this process (process.cpuUsage, with the voice activity thread) + pocketsphinx decoders (/proc/<pid>/stat),`,
      );
      console.log(
        `    per minute of call audio (callers talk ${(speechShare * 100).toFixed(0)}% of the time)`,
      );
      let plain = results.find((r) => r.listening === 'no');
      let recognised = results.filter((r) => r.listening === 'recognised');
      if (!plain || recognised.length === 0) {
        console.log(STEP_HEADER);
        plain = await step(cpuCalls, 'no');
        recognised = [await step(cpuCalls, 'recognised')];
      }
      const perCallMinute = (r: StepResult, cpu: number): number =>
        cpu / 1000 / ((r.calls * r.wallMs) / 60_000);
      const core = (cpuS: number): string => `${((cpuS / 60) * 100).toFixed(1)}% of a core`;
      const base = perCallMinute(plain, plain.cpuHereMs);
      console.log(
        `    not listening (${plain.calls} calls): ${base.toFixed(2)} CPU-s per call-minute (${core(base)} per call)`,
      );
      // Decoding cost per second of utterance audio, from steps where the decoders kept up: once they
      // fall behind (and share the cores with the media clock) a decode takes more CPU, and the
      // decodes finished in a window are too few to tell.
      const unsaturated = recognised.filter((r) => r.keepsUp);
      const costFrom = unsaturated.length ? unsaturated : recognised.slice(0, 1);
      const decodedMs = costFrom.reduce((n, r) => n + r.decodedAudioMs, 0);
      const perAudio = decodedMs > 0 ? costFrom.reduce((n, r) => n + r.cpuDecodersMs, 0) / decodedMs : NaN;
      console.log(
        `    decoding costs ${(perAudio * 100).toFixed(0)}% of a core per second of utterance audio (lead-in and end-of-turn silence included; from the ${costFrom.map((r) => r.calls).join(', ')}-call step${unsaturated.length ? ', decoders keeping up' : ''})`,
      );
      for (const r of recognised) {
        const here = perCallMinute(r, r.cpuHereMs);
        const dec = perCallMinute(r, r.cpuDecodersMs);
        if (r.keepsUp) {
          console.log(
            `    recognised ${String(r.calls).padStart(3)} calls: ${here.toFixed(2)} here + ${dec.toFixed(2)} decoders = ${(here + dec).toFixed(2)} CPU-s per call-minute (${core(here + dec)} per call)`,
          );
          continue;
        }
        // Behind: what decoding every utterance handed over would have taken at the cost above.
        const need = perCallMinute(r, perAudio * r.endedAudioMs);
        console.log(
          `    recognised ${String(r.calls).padStart(3)} calls: decoders behind (used ${dec.toFixed(2)}); ${here.toFixed(2)} here + ${need.toFixed(2)} decoders needed = ${(here + need).toFixed(2)} CPU-s per call-minute (${core(here + need)} per call)`,
        );
      }
      const ref = unsaturated.at(-1);
      if (ref) {
        const total = perCallMinute(ref, ref.cpuHereMs + ref.cpuDecodersMs);
        console.log(
          `    per recognised call (largest step that keeps up, ${ref.calls} calls): ${total.toFixed(2)} CPU-s per call-minute, ${core(total)}; not listening ${base.toFixed(2)}`,
        );
      }
    }
  } finally {
    peer.child.send({ type: 'close' } satisfies SpeechPeerRequest);
    await new Promise((r) => peer.child.once('exit', r));
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
