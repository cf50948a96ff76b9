/**
 * A local server speaking the OpenAI Realtime protocol (`/v1/realtime?model=…` over a WebSocket), for
 * speech-to-speech agent tests. It checks the upgrade the way OpenAI does (Bearer key, `model`), keeps
 * the session config that `session.update` sets, decodes the caller audio (`g711_ulaw` or `pcm16`)
 * and runs an energy-based server VAD (`speech_started` / `speech_stopped` with audio offsets). What
 * the model answers is scripted by the test (`respond`): real espeak-ng speech sent as audio deltas
 * faster than real time with its transcript, and/or a function call. Every client event is recorded.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import alawmulaw from 'alawmulaw';
import { WebSocketServer, type WebSocket } from 'ws';
import { Resampler } from '../../../src/speech/audio/resampler.js';

/** Why the model answers now, and what it knows at that point. */
export interface RealtimeTurn {
  reason: 'speech' | 'response.create';
  session: RealtimeSession;
  /** The caller transcript of the committed speech (reason `speech`, when one was scripted). */
  transcript?: string;
  /** `response.create`'s `response.instructions`. */
  instructions?: string;
  /** function_call_output items created since the last response, parsed. */
  outputs: { call_id: string; output: unknown }[];
}

export interface RealtimeAnswer {
  /** Spoken (espeak-ng) and sent as audio deltas, with this as the transcript. */
  say?: string;
  /** A function call after the audio. */
  call?: { name: string; arguments: Record<string, unknown> };
}

export interface RealtimeSession {
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  /** The config as session.update left it. */
  config: Record<string, unknown>;
  /** Every client event, parsed, in order (audio payloads replaced by their length). */
  events: Record<string, unknown>[];
  /** Caller audio received, ms. */
  audioMs: number;
  /** Each response's audio length in ms, by item id. */
  itemAudioMs: Map<string, number>;
  closed: boolean;
}

export interface RealtimeServerOptions {
  apiKey?: string;
  /** Send GA event names (`response.output_audio.delta` …) instead of the beta ones. */
  gaNames?: boolean;
  /** RMS of a 20 ms block above which it counts as speech. */
  speechRms?: number;
  /** Gap between audio deltas (100 ms of audio each): 10 ms sends ten times faster than real time. */
  deltaIntervalMs?: number;
  /** Never answer session.update (a provider that hangs after the upgrade). */
  ignoreSessionUpdate?: boolean;
}

export interface RealtimeServer {
  /** ws://127.0.0.1:<port>/v1/realtime */
  url: string;
  apiKey: string;
  sessions: RealtimeSession[];
  /** What the model answers to a turn (undefined: no response). */
  respond: (turn: RealtimeTurn) => RealtimeAnswer | undefined;
  /** Caller transcripts for the next committed utterances, in order. */
  callerSays: string[];
  /** The events of one type the client sent in `session` (default: the last session). */
  clientEvents(type: string, session?: RealtimeSession): Record<string, unknown>[];
  /** Drop every open socket (a provider outage mid-call). */
  dropAll(): void;
  close(): Promise<void>;
}

const GA: Record<string, string> = {
  'response.audio.delta': 'response.output_audio.delta',
  'response.audio.done': 'response.output_audio.done',
  'response.audio_transcript.delta': 'response.output_audio_transcript.delta',
  'response.audio_transcript.done': 'response.output_audio_transcript.done',
};
const FORMATS = new Set(['pcm16', 'g711_ulaw', 'g711_alaw']);

/** espeak-ng's speech for `text` at `rate` Hz (16-bit mono). */
export function espeak(text: string, rate: number): Int16Array {
  const wav = execFileSync('espeak-ng', ['-v', 'en-us', '--stdout', text]);
  const wavRate = wav.readUInt32LE(24);
  const data = wav.indexOf('data', 12) + 8;
  const pcm = new Int16Array((wav.length - data) >> 1);
  for (let i = 0; i < pcm.length; i++) pcm[i] = wav.readInt16LE(data + i * 2);
  return new Resampler(wavRate, rate).process(pcm);
}

function pcm16le(samples: Int16Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  samples.forEach((v, i) => out.writeInt16LE(v, i * 2));
  return out;
}

export async function startRealtimeServer(options: RealtimeServerOptions = {}): Promise<RealtimeServer> {
  const apiKey = options.apiKey ?? 'sk-test-realtime-key';
  const sessions: RealtimeSession[] = [];
  const sockets = new Set<Socket>();
  const open = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true });
  const server = http.createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ error: { message: 'WebSocket upgrade expected', type: 'invalid_request_error' } }),
    );
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const double: RealtimeServer = {
    url: '',
    apiKey,
    sessions,
    respond: () => undefined,
    callerSays: [],
    clientEvents: (type, session) =>
      (session ?? sessions[sessions.length - 1])?.events.filter((e) => e.type === type) ?? [],
    dropAll: () => {
      for (const ws of open) ws.terminate();
    },
    close: async () => {
      for (const ws of open) ws.terminate();
      for (const s of sockets) s.destroy();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  server.on('upgrade', (req, socket: Socket, head) => {
    const refuse = (status: number, message: string, code: string): void => {
      const body = JSON.stringify({ error: { message, type: 'invalid_request_error', code } });
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/v1/realtime') return refuse(404, `Invalid URL ${url.pathname}`, 'not_found');
    if (req.headers.authorization !== `Bearer ${apiKey}`)
      return refuse(401, 'Incorrect API key provided.', 'invalid_api_key');
    if (!url.searchParams.get('model'))
      return refuse(400, 'Missing required parameter: model', 'missing_model');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session: RealtimeSession = {
        query: url.searchParams,
        headers: req.headers,
        config: {
          model: url.searchParams.get('model'),
          input_audio_format: 'pcm16',
          output_audio_format: 'pcm16',
          turn_detection: {
            type: 'server_vad',
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 500,
          },
        },
        events: [],
        audioMs: 0,
        itemAudioMs: new Map(),
        closed: false,
      };
      sessions.push(session);
      open.add(ws);
      ws.on('close', () => {
        open.delete(ws);
        session.closed = true;
      });
      new SessionRunner(ws, session, double, options).begin();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  double.url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/realtime`;
  return double;
}

let counter = 0;
const id = (prefix: string): string => `${prefix}_${(++counter).toString(36).padStart(6, '0')}`;

/** One connection's protocol state: VAD, the active response, items. */
class SessionRunner {
  private block: number[] = [];
  private voiced = false;
  private speechStartMs = 0;
  private lastVoicedMs = 0;
  private userItem = '';
  private active: { id: string; cancelled: boolean; output: Record<string, unknown>[] } | undefined;
  private outputs: { call_id: string; output: unknown }[] = [];

  constructor(
    private readonly ws: WebSocket,
    private readonly session: RealtimeSession,
    private readonly double: RealtimeServer,
    private readonly options: RealtimeServerOptions,
  ) {}

  begin(): void {
    this.send({
      type: 'session.created',
      session: { id: id('sess'), object: 'realtime.session', ...this.session.config },
    });
    this.ws.on('message', (data) => this.onMessage(String(data)));
  }

  private send(event: Record<string, unknown>): void {
    const type = String(event.type);
    const name = this.options.gaNames ? (GA[type] ?? type) : type;
    if (this.ws.readyState === this.ws.OPEN)
      this.ws.send(JSON.stringify({ event_id: id('event'), ...event, type: name }));
  }

  private error(message: string, code: string, param?: string, eventId?: unknown): void {
    this.send({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        code,
        message,
        param: param ?? null,
        event_id: eventId ?? null,
      },
    });
  }

  private get turnDetection(): Record<string, unknown> {
    return (this.session.config.turn_detection ?? {}) as Record<string, unknown>;
  }

  private onMessage(text: string): void {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return this.error('The server could not parse the event as JSON.', 'invalid_json');
    }
    const audio = typeof event.audio === 'string' ? event.audio : undefined;
    this.session.events.push(audio !== undefined ? { ...event, audio: audio.length } : event);
    switch (event.type) {
      case 'session.update':
        return this.update(event);
      case 'input_audio_buffer.append':
        return this.hear(Buffer.from(audio ?? '', 'base64'));
      case 'conversation.item.create':
        return this.createItem(event);
      case 'response.create': {
        if (this.active)
          return this.error(
            'Conversation already has an active response',
            'conversation_already_has_active_response',
          );
        const r = (event.response ?? {}) as Record<string, unknown>;
        const instructions = typeof r.instructions === 'string' ? r.instructions : undefined;
        return void this.answer({ reason: 'response.create', ...(instructions ? { instructions } : {}) });
      }
      case 'response.cancel':
        if (!this.active)
          return this.error('Cancellation failed: no active response found', 'response_cancel_not_active');
        this.active.cancelled = true;
        return;
      case 'conversation.item.truncate':
        return this.truncate(event);
      default:
        return this.error(`Invalid value: '${String(event.type)}'.`, 'invalid_value', 'type', event.event_id);
    }
  }

  private update(event: Record<string, unknown>): void {
    if (this.options.ignoreSessionUpdate) return;
    const s = (event.session ?? {}) as Record<string, unknown>;
    for (const field of ['input_audio_format', 'output_audio_format'])
      if (s[field] !== undefined && !FORMATS.has(String(s[field])))
        return this.error(`Invalid value: '${String(s[field])}'.`, 'invalid_value', `session.${field}`);
    const td = s.turn_detection as Record<string, unknown> | undefined;
    if (td && td.type !== 'server_vad' && td.type !== 'semantic_vad')
      return this.error(`Invalid turn_detection.type`, 'invalid_value', 'session.turn_detection.type');
    for (const [i, t] of ((s.tools ?? []) as Record<string, unknown>[]).entries())
      if (t.type !== 'function' || typeof t.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(t.name))
        return this.error(`Invalid tool`, 'invalid_value', `session.tools[${i}]`);
    Object.assign(this.session.config, s);
    this.send({ type: 'session.updated', session: this.session.config });
  }

  private inputRate(): number {
    return this.session.config.input_audio_format === 'pcm16' ? 24000 : 8000;
  }

  /** Server VAD: 20 ms blocks, RMS against the threshold, silence_duration_ms to end a turn. */
  private hear(bytes: Buffer): void {
    const format = String(this.session.config.input_audio_format);
    const samples =
      format === 'pcm16'
        ? Array.from({ length: bytes.length >> 1 }, (_, i) => bytes.readInt16LE(i * 2))
        : Array.from(format === 'g711_alaw' ? alawmulaw.alaw.decode(bytes) : alawmulaw.mulaw.decode(bytes));
    const rate = this.inputRate();
    const size = rate / 50;
    for (const s of samples) {
      this.block.push(s);
      if (this.block.length < size) continue;
      const rms = Math.sqrt(this.block.reduce((a, v) => a + v * v, 0) / size);
      this.block = [];
      this.session.audioMs += 20;
      this.vad(rms);
    }
  }

  private vad(rms: number): void {
    const now = this.session.audioMs;
    const td = this.turnDetection;
    const speech = rms > (this.options.speechRms ?? 600);
    if (speech) this.lastVoicedMs = now;
    if (speech && !this.voiced) {
      this.voiced = true;
      this.speechStartMs = Math.max(0, now - 20 - Number(td.prefix_padding_ms ?? 300));
      this.userItem = id('item');
      this.send({
        type: 'input_audio_buffer.speech_started',
        audio_start_ms: this.speechStartMs,
        item_id: this.userItem,
      });
      // interrupt_response (default true): caller speech cancels the response being generated.
      if (this.active && td.interrupt_response !== false) this.active.cancelled = true;
    } else if (!speech && this.voiced && now - this.lastVoicedMs >= Number(td.silence_duration_ms ?? 500)) {
      this.voiced = false;
      this.send({
        type: 'input_audio_buffer.speech_stopped',
        audio_end_ms: this.lastVoicedMs,
        item_id: this.userItem,
      });
      this.commit();
    }
  }

  private commit(): void {
    const itemId = this.userItem;
    this.send({ type: 'input_audio_buffer.committed', previous_item_id: null, item_id: itemId });
    this.send({
      type: 'conversation.item.created',
      previous_item_id: null,
      item: {
        id: itemId,
        object: 'realtime.item',
        type: 'message',
        status: 'completed',
        role: 'user',
        content: [{ type: 'input_audio', transcript: null }],
      },
    });
    const transcript = this.session.config.input_audio_transcription
      ? this.double.callerSays.shift()
      : undefined;
    if (transcript !== undefined)
      this.send({
        type: 'conversation.item.input_audio_transcription.completed',
        item_id: itemId,
        content_index: 0,
        transcript,
      });
    if (this.turnDetection.create_response !== false && !this.active)
      void this.answer({ reason: 'speech', ...(transcript !== undefined ? { transcript } : {}) });
  }

  private createItem(event: Record<string, unknown>): void {
    const item = (event.item ?? {}) as Record<string, unknown>;
    if (item.type === 'function_call_output') {
      if (typeof item.call_id !== 'string' || typeof item.output !== 'string')
        return this.error('function_call_output needs call_id and output strings', 'invalid_value', 'item');
      let output: unknown;
      try {
        output = JSON.parse(item.output);
      } catch {
        output = item.output;
      }
      this.outputs.push({ call_id: item.call_id, output });
    }
    const created = {
      id: typeof item.id === 'string' ? item.id : id('item'),
      object: 'realtime.item',
      status: 'completed',
      ...item,
    };
    this.send({ type: 'conversation.item.created', previous_item_id: null, item: created });
  }

  private truncate(event: Record<string, unknown>): void {
    const itemId = String(event.item_id);
    const total = this.session.itemAudioMs.get(itemId);
    if (total === undefined) return this.error(`Item ${itemId} not found`, 'item_not_found', 'item_id');
    const end = Number(event.audio_end_ms);
    if (!(end >= 0) || end > total)
      return this.error(
        `audio_end_ms ${end} is past the item's audio (${total} ms)`,
        'invalid_value',
        'audio_end_ms',
      );
    this.send({ type: 'conversation.item.truncated', item_id: itemId, content_index: 0, audio_end_ms: end });
  }

  private async answer(turn: Omit<RealtimeTurn, 'session' | 'outputs'>): Promise<void> {
    const outputs = this.outputs;
    this.outputs = [];
    const answer = this.double.respond({ ...turn, session: this.session, outputs });
    if (!answer) return;
    const response = { id: id('resp'), cancelled: false, output: [] as Record<string, unknown>[] };
    this.active = response;
    this.send({
      type: 'response.created',
      response: { id: response.id, object: 'realtime.response', status: 'in_progress', output: [] },
    });
    if (answer.say) await this.speak(response, answer.say, response.output.length);
    if (answer.call && !response.cancelled) this.call(response, answer.call, response.output.length);
    this.active = undefined;
    const status = response.cancelled ? 'cancelled' : 'completed';
    this.send({
      type: 'response.done',
      response: {
        id: response.id,
        object: 'realtime.response',
        status,
        status_details: response.cancelled ? { type: 'cancelled', reason: 'turn_detected' } : null,
        output: response.output,
      },
    });
  }

  private async speak(
    response: NonNullable<SessionRunner['active']>,
    text: string,
    outputIndex: number,
  ): Promise<void> {
    const format = String(this.session.config.output_audio_format);
    const rate = format === 'pcm16' ? 24000 : 8000;
    const pcm = espeak(text, rate);
    const itemId = id('item');
    const item = {
      id: itemId,
      object: 'realtime.item',
      type: 'message',
      role: 'assistant',
      status: 'in_progress',
      content: [],
    };
    const ids = { response_id: response.id, item_id: itemId, output_index: outputIndex, content_index: 0 };
    this.send({
      type: 'response.output_item.added',
      response_id: response.id,
      output_index: outputIndex,
      item,
    });
    this.send({ type: 'response.content_part.added', ...ids, part: { type: 'audio', transcript: '' } });
    const step = rate / 10; // 100 ms per delta
    const words = text.split(' ');
    let sentWords = 0;
    let sentSamples = 0;
    for (
      let at = 0;
      at < pcm.length && !response.cancelled && this.ws.readyState === this.ws.OPEN;
      at += step
    ) {
      const chunk = pcm.subarray(at, at + step);
      const bytes =
        format === 'pcm16'
          ? Buffer.from(pcm16le(chunk))
          : Buffer.from(
              format === 'g711_alaw' ? alawmulaw.alaw.encode(chunk) : alawmulaw.mulaw.encode(chunk),
            );
      this.send({ type: 'response.audio.delta', ...ids, delta: bytes.toString('base64') });
      sentSamples += chunk.length;
      this.session.itemAudioMs.set(itemId, Math.floor((sentSamples * 1000) / rate));
      // The transcript runs alongside the audio, word by word.
      const due = Math.ceil((words.length * sentSamples) / pcm.length);
      if (due > sentWords) {
        this.send({
          type: 'response.audio_transcript.delta',
          ...ids,
          delta: (sentWords ? ' ' : '') + words.slice(sentWords, due).join(' '),
        });
        sentWords = due;
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.deltaIntervalMs ?? 10));
    }
    const said = words.slice(0, sentWords).join(' ');
    if (!response.cancelled) {
      this.send({ type: 'response.audio.done', ...ids });
      this.send({ type: 'response.audio_transcript.done', ...ids, transcript: said });
    }
    const done = {
      ...item,
      status: response.cancelled ? 'incomplete' : 'completed',
      content: [{ type: 'audio', transcript: said }],
    };
    this.send({ type: 'response.content_part.done', ...ids, part: done.content[0] });
    this.send({
      type: 'response.output_item.done',
      response_id: response.id,
      output_index: outputIndex,
      item: done,
    });
    response.output.push(done);
  }

  private call(
    response: NonNullable<SessionRunner['active']>,
    call: NonNullable<RealtimeAnswer['call']>,
    outputIndex: number,
  ): void {
    const itemId = id('item');
    const callId = id('call');
    const args = JSON.stringify(call.arguments);
    const base = {
      id: itemId,
      object: 'realtime.item',
      type: 'function_call',
      call_id: callId,
      name: call.name,
    };
    this.send({
      type: 'response.output_item.added',
      response_id: response.id,
      output_index: outputIndex,
      item: { ...base, status: 'in_progress', arguments: '' },
    });
    for (let at = 0; at < args.length; at += 8)
      this.send({
        type: 'response.function_call_arguments.delta',
        response_id: response.id,
        item_id: itemId,
        output_index: outputIndex,
        call_id: callId,
        delta: args.slice(at, at + 8),
      });
    this.send({
      type: 'response.function_call_arguments.done',
      response_id: response.id,
      item_id: itemId,
      output_index: outputIndex,
      call_id: callId,
      name: call.name,
      arguments: args,
    });
    const done = { ...base, status: 'completed', arguments: args };
    this.send({
      type: 'response.output_item.done',
      response_id: response.id,
      output_index: outputIndex,
      item: done,
    });
    response.output.push(done);
  }
}
