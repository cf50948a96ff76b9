/**
 * The two far sides of the agent benchmark (bench/agent.ts), each in its own process so that neither
 * takes event-loop time from the measured server:
 *
 *  providers (BENCH_AGENT_ROLE=providers)  the provider doubles from test/helpers: OpenAI chat
 *      completions (fixed first-token delay, then the reply's pieces at a fixed token delay), OpenAI
 *      transcription and OpenAI speech, the last two behind a small proxy that holds each answer until
 *      a fixed time after the request arrived (the recogniser's delay, the synthesiser's first-audio
 *      delay). Every reply is a different text, so the server's prompt cache never answers for the
 *      synthesiser; the doubles' audio for each text is rendered before the calls start.
 *  callers (BENCH_AGENT_ROLE=callers)  N SIP callers over UDP (INVITE with an SDP offer, ACK, BYE)
 *      with their own RTP sockets: PCMU packets every 20 ms on an absolute schedule, silence or a
 *      recorded espeak-ng utterance; each turn times the end of its utterance (the send of its last
 *      loud packet) to the first non-silent packet of the agent's answer.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { decodeTable, encodeTable } from '../src/telephony/embedded/media/g711.js';
import { splitSentences } from '../src/speech/synthesis/sentences.js';
import { contentPieces, startChatServer } from '../test/helpers/llm-providers/openai-chat-server.js';
import {
  OPENAI_SPEECH_RATE,
  startOpenAiSpeechServer,
} from '../test/helpers/speech-providers/openai-speech-server.js';
import { startOpenAiTranscriptionServer } from '../test/helpers/speech-providers/openai-transcription-server.js';
import { speak } from '../test/helpers/speech-providers/spoken-audio.js';
import { spokenAudio } from '../test/helpers/speech-providers/tts-stream.js';

// ---- shared with bench/agent.ts -------------------------------------------------------------------

export const BENCH_KEY = 'sk-bench-agent';
export const GREETING = 'Hello, how can I help?';
/** A sample louder than this (16-bit) makes a packet non-silent at the caller. */
export const LOUD = 64;

/** Caller i's number (the From user); the agent's system prompt names it, so the model double knows the call. */
export const callerNumber = (i: number): string => `+1415555${String(1000 + i)}`;

/** What the model answers caller `i` in turn `t` (1-based): two sentences, different for every turn. */
export function replyText(i: number, t: number): string {
  return `Sure, caller ${i}, here is answer ${t}. Your order ${i * 10 + t} is on its way and should arrive tomorrow morning.`;
}

/**
 * How many of the reply's pieces the model double must have sent before the sentence cutter can give
 * the first sentence (it needs the text after the full stop); the n-th piece goes out after
 * first-token delay + n × token delay.
 */
export function piecesToFirstSentence(text: string): number {
  const pieces = contentPieces(text);
  let buffer = '';
  for (const [i, piece] of pieces.entries()) {
    buffer += piece;
    if (splitSentences(buffer).length >= 2) return i + 1;
  }
  return pieces.length;
}

/** Ms of near-silence at the start of the synthesiser double's audio for `text` (24 kHz PCM). */
export async function leadInMs(text: string): Promise<number> {
  const pcm = await spokenAudio(text, OPENAI_SPEECH_RATE, 'pcm16');
  for (let i = 0; i + 1 < pcm.length; i += 2)
    if (Math.abs(pcm.readInt16LE(i)) > LOUD) return (i / 2 / OPENAI_SPEECH_RATE) * 1000;
  return 0;
}

export interface ProviderDelays {
  recognizerMs: number;
  firstTokenMs: number;
  tokenMs: number;
  firstAudioMs: number;
}

export type ProvidersRequest = { type: 'start'; delays: ProviderDelays; calls: number; turns: number };
export type ProvidersReply = {
  type: 'ready';
  llmUrl: string;
  transcriptionUrl: string;
  speechUrl: string;
  renderMs: number;
};

export interface CallerTurn {
  call: number;
  turn: number;
  /** performance.timeOrigin-based epoch ms when the utterance's last loud packet was sent. */
  endAt: number;
  /** Ms from endAt to the first non-silent packet of the answer; NaN when none came in time. */
  latencyMs: number;
}

export type CallersRequest = {
  type: 'start';
  sipHost: string;
  sipPort: number;
  calls: number;
  turns: number;
  /** Caller index of the first call (its number and the model's replies follow from it). */
  firstIndex: number;
  staggerMs: number;
  rtpMin: number;
  rtpMax: number;
  localSipPort: number;
  dir: string;
  /** Silence after the agent's answer before the caller speaks again. */
  pauseMs: number;
};
export type CallersReply =
  | { type: 'progress'; text: string }
  | {
      type: 'done';
      turns: CallerTurn[];
      failures: string[];
      loopP99Ms: number;
      loopMaxMs: number;
      sendLateP99Ms: number;
    };

/** What the callers say (espeak-ng, 8 kHz), from the first to the last loud sample. */
export const CALLER_PHRASES = [
  'I would like to know where my order is',
  'can you tell me when it will arrive',
  'thank you that is all for today',
  'what time do you open tomorrow',
];

export function callerUtterances(dir: string): Int16Array[] {
  return CALLER_PHRASES.map((t, i) => {
    const s = speak(t, dir, `caller${i}`, 0, 0);
    const from = Math.floor((s.speechStartMs * 8000) / 1000);
    const to = Math.ceil((s.speechEndMs * 8000) / 1000) + 1;
    return s.samples.slice(from, to);
  });
}

/** The utterance caller `i` says in turn `t`. */
export const phraseOf = (i: number, t: number): number => (i + t) % CALLER_PHRASES.length;

/** Index of the utterance's last loud sample (|x| > 300, the cut's own rule): its packet ends the speech. */
export function lastLoudSample(words: Int16Array): number {
  let last = words.length - 1;
  while (last > 0 && Math.abs(words[last] as number) <= 300) last--;
  return last;
}

// ---- providers ------------------------------------------------------------------------------------

/**
 * An HTTP proxy that forwards each request at once and holds the answer (status, headers and body)
 * until `delayMs` after the request arrived whole: a provider with a fixed response time.
 */
function delayingProxy(targetOrigin: string, delayMs: number): Promise<string> {
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const due = performance.now() + delayMs;
      const up = http.request(
        `${targetOrigin}${req.url ?? '/'}`,
        { method: req.method, headers: req.headers, agent },
        (answer) => {
          const go = (): void => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          };
          const wait = due - performance.now();
          if (wait > 0) setTimeout(go, wait);
          else go();
        },
      );
      up.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502).end(String(err));
      });
      res.on('close', () => up.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
    }),
  );
}

async function runProviders(m: ProvidersRequest): Promise<void> {
  const { delays } = m;
  const began = performance.now();
  // The doubles' audio for every text, made now (espeak-ng + sox) rather than while calls wait.
  const texts = [GREETING];
  for (let i = 0; i < m.calls; i++)
    for (let t = 1; t <= m.turns; t++) texts.push(...splitSentences(replyText(i, t)));
  for (let at = 0; at < texts.length; at += 4)
    await Promise.all(texts.slice(at, at + 4).map((t) => spokenAudio(t, OPENAI_SPEECH_RATE, 'pcm16')));
  const renderMs = performance.now() - began;

  const llm = await startChatServer({
    apiKey: BENCH_KEY,
    reply: (body) => {
      const messages = body.messages as Array<{ role: string; content?: string | null }>;
      const system = String(messages[0]?.content ?? '');
      const caller = Number(/\+1415555(\d{4})/.exec(system)?.[1] ?? 1000) - 1000;
      const turn = messages.filter((x) => x.role === 'user').length;
      return {
        content: replyText(caller, turn),
        firstTokenDelayMs: delays.firstTokenMs,
        tokenDelayMs: delays.tokenMs,
      };
    },
  });
  const transcription = await startOpenAiTranscriptionServer({ apiKey: BENCH_KEY });
  // Every utterance with speech gets a line (the words do not matter to the model double).
  for (let i = 0; i < m.calls * (m.turns + 2) * 2; i++) transcription.say('I have a question about my order');
  const speech = await startOpenAiSpeechServer({ apiKey: BENCH_KEY });
  const transcriptionUrl = `${await delayingProxy(new URL(transcription.baseUrl).origin, delays.recognizerMs)}/v1`;
  const speechUrl = `${await delayingProxy(speech.origin, delays.firstAudioMs)}/v1`;
  process.send?.({
    type: 'ready',
    llmUrl: llm.url,
    transcriptionUrl,
    speechUrl,
    renderMs,
  } satisfies ProvidersReply);
}

// ---- callers --------------------------------------------------------------------------------------

const FRAME = 160;
const FRAME_MS = 20;
const ULAW = encodeTable('PCMU');
const FROM_ULAW = decodeTable('PCMU');
/** Silence after non-silent audio that ends the agent's line (gaps between sentences are shorter). */
const LINE_END_MS = 900;
/** Longest wait for the agent's answer to a turn, or for its greeting. */
const ANSWER_TIMEOUT_MS = 15_000;

interface Dialog {
  callId: string;
  fromTag: string;
  toTag?: string;
  remoteTarget?: string;
  cseq: number;
  /** Settles the pending client transaction (INVITE or BYE) with its final status. */
  onFinal?: (status: number, text: string) => void;
  /** Top Via branch and CSeq method of that transaction's request (RFC 3261 §17.1.3 matching). */
  pending?: { branch: string; method: string };
  gotProvisional: boolean;
}

interface Caller {
  index: number;
  socket: Socket;
  port: number;
  ssrc: number;
  seq: number;
  ts: number;
  remote?: { host: string; port: number };
  sending: boolean;
  /** Utterance being sent, and where in it. */
  talking: Int16Array | null;
  pos: number;
  /** Sample index (in `talking`) of the last loud sample; its packet's send time is the end of speech. */
  lastLoudSample: number;
  endOfSpeechAt: number;
  onEndOfSpeech?: () => void;
  /** First non-silent packet after `armedAt`. */
  armedAt: number;
  firstLoudAt: number;
  lastLoudAt: number;
  onLoud?: () => void;
}

function header(text: string, name: string): string | undefined {
  const re = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'im');
  return re.exec(text)?.[1]?.trim();
}

async function runCallers(m: CallersRequest): Promise<void> {
  const phrases = callerUtterances(m.dir);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const sip = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sip.once('error', reject);
    sip.bind(m.localSipPort, '127.0.0.1', () => resolve());
  });
  const dialogs = new Map<string, Dialog>();
  const sipSend = (text: string): void => {
    sip.send(text, m.sipPort, m.sipHost);
  };
  sip.on('message', (msg) => {
    const text = msg.toString('utf8');
    const callId = header(text, 'Call-ID') ?? header(text, 'i') ?? '';
    const d = dialogs.get(callId);
    if (text.startsWith('SIP/2.0')) {
      const status = Number(text.slice(8, 11));
      if (!d) return;
      if (status < 200) {
        d.gotProvisional = true;
        return;
      }
      const method = /^CSeq:\s*\d+\s+(\w+)/im.exec(text)?.[1];
      if (method === 'INVITE' && status < 300) {
        d.toTag = /;tag=([^;\s>]+)/.exec(header(text, 'To') ?? '')?.[1];
        d.remoteTarget = /<([^>]+)>/.exec(header(text, 'Contact') ?? '')?.[1];
        // RFC 3261 §13.2.2.4: every 2xx (retransmissions too) is acknowledged.
        sipSend(ack(d));
      }
      // Only a response of the pending transaction settles it: a retransmitted 200 to the INVITE that
      // arrives after the BYE went out is not the BYE's answer.
      const responseBranch = /branch=([^;\s,]+)/.exec(header(text, 'Via') ?? '')?.[1];
      if (!d.pending || d.pending.branch !== responseBranch || d.pending.method !== method) return;
      const done = d.onFinal;
      d.onFinal = undefined;
      d.pending = undefined;
      done?.(status, text);
      return;
    }
    // A request from the server (BYE when the agent hangs up): answer 200 with its own headers.
    const reply = [
      'SIP/2.0 200 OK',
      ...text.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq)\s*:/i.test(l)),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    sipSend(reply);
  });

  const local = `127.0.0.1:${m.localSipPort}`;
  const target = `sip:+15550000@${m.sipHost}:${m.sipPort}`;
  const branch = (): string => `z9hG4bK-${randomBytes(6).toString('hex')}`;
  const request = (
    d: Dialog,
    method: string,
    ruri: string,
    caller: number,
    body = '',
    cseq = d.cseq,
  ): string =>
    [
      `${method} ${ruri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${local};branch=${branch()};rport`,
      'Max-Forwards: 70',
      `From: <sip:${callerNumber(caller)}@127.0.0.1>;tag=${d.fromTag}`,
      `To: <sip:+15550000@${m.sipHost}>${d.toTag ? `;tag=${d.toTag}` : ''}`,
      `Call-ID: ${d.callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:${callerNumber(caller)}@${local}>`,
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  const callerOf = new Map<string, number>();
  const ack = (d: Dialog): string =>
    request(d, 'ACK', d.remoteTarget ?? target, callerOf.get(d.callId) ?? 0, '', 1);

  /** Sends a request until a final answer (RFC 3261 §17.1.1.2 / §17.1.2.2 timers, T1 500 ms). */
  const transact = (d: Dialog, text: string): Promise<{ status: number; text: string }> =>
    new Promise((resolve) => {
      let wait = 500;
      let timer: NodeJS.Timeout | undefined;
      const began = performance.now();
      const again = (): void => {
        if (performance.now() - began > 32_000) {
          d.onFinal = undefined;
          d.pending = undefined;
          resolve({ status: 408, text: '' });
          return;
        }
        if (!d.gotProvisional) sipSend(text);
        wait = Math.min(wait * 2, 4000);
        timer = setTimeout(again, wait);
      };
      d.pending = {
        branch: /branch=([^;\s,]+)/.exec(header(text, 'Via') ?? '')?.[1] ?? '',
        method: /^CSeq:\s*\d+\s+(\w+)/im.exec(text)?.[1] ?? '',
      };
      d.onFinal = (status, reply) => {
        clearTimeout(timer);
        resolve({ status, text: reply });
      };
      sipSend(text);
      timer = setTimeout(again, wait);
    });

  // ---- RTP: one 20 ms schedule for every caller ----
  const callers: Caller[] = [];
  const lateness: number[] = [];
  const t0 = performance.now();
  let tick = 0;
  let running = true;
  const send = (): void => {
    if (!running) return;
    const due = Math.floor((performance.now() - t0) / FRAME_MS);
    while (tick <= due) {
      const late = performance.now() - (t0 + tick * FRAME_MS);
      lateness.push(late);
      for (const c of callers) {
        if (!c.sending || !c.remote) continue;
        // A buffer per packet: dgram may still hold the previous one when the next caller's is built.
        const packet = Buffer.allocUnsafe(12 + FRAME);
        packet[0] = 0x80;
        packet[1] = 0;
        packet.writeUInt16BE(c.seq, 2);
        packet.writeUInt32BE(c.ts >>> 0, 4);
        packet.writeUInt32BE(c.ssrc, 8);
        c.seq = (c.seq + 1) & 0xffff;
        c.ts = (c.ts + FRAME) >>> 0;
        const speech = c.talking;
        let endsSpeech = false;
        if (speech && c.pos < speech.length) {
          for (let i = 0; i < FRAME; i++)
            packet[12 + i] = ULAW[((speech[c.pos + i] ?? 0) as number) + 32768] as number;
          endsSpeech = c.lastLoudSample >= c.pos && c.lastLoudSample < c.pos + FRAME;
          c.pos += FRAME;
          if (c.pos >= speech.length) c.talking = null;
        } else packet.fill(0xff, 12);
        c.socket.send(packet, c.remote.port, c.remote.host);
        if (endsSpeech) {
          c.endOfSpeechAt = performance.now();
          c.onEndOfSpeech?.();
        }
      }
      tick++;
    }
    setTimeout(send, Math.max(0, t0 + tick * FRAME_MS - performance.now()));
  };
  send();

  const listenRtp = (c: Caller): void => {
    c.socket.on('message', (msg: Buffer) => {
      const now = performance.now();
      for (let i = 12; i < msg.length; i++) {
        if (Math.abs(FROM_ULAW[msg[i] as number] as number) > LOUD) {
          c.lastLoudAt = now;
          if (c.armedAt > 0 && c.firstLoudAt === 0 && now >= c.armedAt) {
            c.firstLoudAt = now;
            c.onLoud?.();
          }
          return;
        }
      }
    });
  };

  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  /** Resolves once the agent's line has started and then been silent for LINE_END_MS (or on timeout). */
  const lineEnded = async (c: Caller, timeoutMs: number): Promise<boolean> => {
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      if (c.lastLoudAt > 0 && performance.now() - c.lastLoudAt >= LINE_END_MS) return true;
      await sleep(50);
    }
    return false;
  };

  const results: CallerTurn[] = [];
  const failures: string[] = [];
  let nextPort = m.rtpMin + (m.rtpMin % 2);
  const oneCall = async (n: number): Promise<void> => {
    const i = m.firstIndex + n;
    // Even ports from the block; one another program holds is passed over.
    let socket: Socket | undefined;
    let port = 0;
    while (!socket) {
      port = nextPort;
      nextPort += 2;
      if (port > m.rtpMax) throw new Error(`no free RTP port left up to ${m.rtpMax}`);
      const s = createSocket('udp4');
      const bound = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.bind(port, '127.0.0.1', () => resolve(true));
      });
      if (bound) socket = s;
      else
        try {
          s.close();
        } catch {
          // A socket whose bind failed may already be closed.
        }
    }
    const c: Caller = {
      index: i,
      socket,
      port,
      ssrc: randomBytes(4).readUInt32BE(0),
      seq: 0,
      ts: 0,
      sending: false,
      talking: null,
      pos: 0,
      lastLoudSample: -1,
      endOfSpeechAt: 0,
      armedAt: 0,
      firstLoudAt: 0,
      lastLoudAt: 0,
    };
    listenRtp(c);
    callers.push(c);
    const d: Dialog = {
      callId: `bench-agent-${i}-${randomBytes(4).toString('hex')}`,
      fromTag: randomBytes(4).toString('hex'),
      cseq: 1,
      gotProvisional: false,
    };
    dialogs.set(d.callId, d);
    callerOf.set(d.callId, i);
    const sdp = [
      'v=0',
      `o=- ${i + 1} 1 IN IP4 127.0.0.1`,
      's=bench',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${port} RTP/AVP 0 101`,
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=ptime:20',
      'a=sendrecv',
      '',
    ].join('\r\n');
    // The agent's greeting starts as soon as the call is answered: listen for it from the INVITE on.
    c.armedAt = performance.now();
    const answer = await transact(d, request(d, 'INVITE', target, i, sdp));
    if (answer.status !== 200) {
      failures.push(`call ${i}: INVITE answered ${answer.status}`);
      socket.close();
      return;
    }
    const body = answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4);
    const host = /^c=IN IP4 (\S+)/m.exec(body)?.[1] ?? m.sipHost;
    const rport = Number(/^m=audio (\d+)/m.exec(body)?.[1] ?? 0);
    c.remote = { host, port: rport };
    c.sending = true;
    if (!(await lineEnded(c, ANSWER_TIMEOUT_MS))) failures.push(`call ${i}: no greeting heard`);
    for (let t = 1; t <= m.turns; t++) {
      await sleep(m.pauseMs * (0.5 + Math.random()));
      const words = phrases[phraseOf(i, t)] as Int16Array;
      const last = lastLoudSample(words);
      const spoke = new Promise<void>((resolve) => (c.onEndOfSpeech = resolve));
      c.lastLoudSample = last;
      c.armedAt = 0;
      c.firstLoudAt = 0;
      c.pos = 0;
      c.talking = words;
      await spoke;
      c.onEndOfSpeech = undefined;
      const endAt = c.endOfSpeechAt;
      c.armedAt = endAt;
      const heard = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), ANSWER_TIMEOUT_MS);
        c.onLoud = () => {
          clearTimeout(timer);
          resolve(true);
        };
        if (c.firstLoudAt > 0) c.onLoud();
      });
      c.onLoud = undefined;
      results.push({
        call: i,
        turn: t,
        endAt: performance.timeOrigin + endAt,
        latencyMs: heard ? c.firstLoudAt - endAt : NaN,
      });
      if (!heard) {
        failures.push(`call ${i} turn ${t}: no answer within ${ANSWER_TIMEOUT_MS} ms`);
        break;
      }
      await lineEnded(c, 30_000);
    }
    c.sending = false;
    d.cseq = 2;
    const bye = await transact(d, request(d, 'BYE', d.remoteTarget ?? target, i));
    if (bye.status !== 200) failures.push(`call ${i}: BYE answered ${bye.status}`);
    callers.splice(callers.indexOf(c), 1);
    socket.close();
  };

  const calls: Promise<void>[] = [];
  for (let i = 0; i < m.calls; i++) {
    calls.push(
      oneCall(i).catch((err: unknown) => {
        failures.push(`call ${i}: ${(err as Error).message}`);
      }),
    );
    if (i + 1 < m.calls) await sleep(m.staggerMs / m.calls);
  }
  await Promise.all(calls);
  running = false;
  loop.disable();
  sip.close();
  const sorted = [...lateness].sort((a, b) => a - b);
  process.send?.({
    type: 'done',
    turns: results,
    failures,
    loopP99Ms: loop.percentile(99) / 1e6,
    loopMaxMs: loop.max / 1e6,
    sendLateP99Ms: sorted[Math.floor(sorted.length * 0.99)] ?? NaN,
  } satisfies CallersReply);
}

// ---- entry ----------------------------------------------------------------------------------------

const role = process.env.BENCH_AGENT_ROLE;
if (role === 'providers' || role === 'callers') {
  process.on('message', (message: ProvidersRequest | CallersRequest | { type: 'close' }) => {
    if (message.type === 'close') process.exit(0);
    const run =
      role === 'providers'
        ? runProviders(message as ProvidersRequest)
        : runCallers(message as CallersRequest);
    run.catch((err: unknown) => {
      console.error(`agent bench ${role}:`, err);
      process.exit(1);
    });
  });
}
