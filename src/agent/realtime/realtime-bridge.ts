import { heardText } from '../../calls/speech/heard-text.js';
import type { PlayOutcome } from '../../telephony/port.js';
import { withTimeout } from '../../util/with-timeout.js';
import type { AgentContext, AgentMedia } from '../agent.js';
import { agentToolbox, type AgentToolbox } from '../tools/agent-tools.js';
import { DEFAULT_REALTIME_URL, realtimeApiKey, type RealtimeAgentConfig } from './realtime-config.js';
import {
  CallerAudioEncoder,
  decodeAudioDelta,
  formatRate,
  sessionUpdate,
  str,
  type AudioFormat,
  type ServerEvent,
} from './realtime-protocol.js';
import { RealtimeReply } from './realtime-reply.js';
import { RealtimeSocket } from './realtime-socket.js';

/** Caller audio goes up in 100 ms appends (5 frames of 20 ms): few messages, little added delay. */
const APPEND_FRAMES = 5;
/** A response that sends nothing for this long is given up (its audio ends, the player finishes). */
const RESPONSE_STALL_MS = 15_000;
/** The longest one tool may run before the model is told it timed out. */
const TOOL_TIMEOUT_MS = 60_000;
/** How long to wait for a stopped player to say how much it played. */
const STOP_TIMEOUT_MS = 2_000;
/** How long a cancelled response may take to report its final transcript. */
const TRANSCRIPT_WAIT_MS = 2_000;
/** Built-ins that end the call or hand it off: they wait for the reply playing now. */
const CALL_ENDING_TOOLS = new Set(['end_call', 'transfer_call', 'leave_voicemail']);
const HAND_OFF_WAIT_MS = 30_000;
/** Keys pressed within this gap of each other reach the model as one message. */
const KEY_GAP_MS = 800;

/**
 * One call's speech-to-speech session: the caller's audio goes up the socket as it arrives, the
 * model's audio is played as one stream per response, its function calls run as tools, and
 * caller speech over a reply stops it and tells the model how much was heard (truncate).
 */
export class RealtimeBridge {
  private socket: RealtimeSocket | undefined;
  private tap: { stop(): void } | undefined;
  private encoder: CallerAudioEncoder;
  private readonly format: AudioFormat;
  private pending: Int16Array[] = [];
  private readonly replies = new Map<string, RealtimeReply>();
  /** Replies play one after another: a reply after a tool call waits for the one before it. */
  private playChain: Promise<unknown> = Promise.resolve();
  /** Transcript lines are stored in the order they happened. */
  private lines: Promise<unknown> = Promise.resolve();
  private readonly seenCalls = new Set<string>();
  private toolbox: AgentToolbox | undefined;
  private sessionReady: { resolve(): void; reject(err: Error): void } | undefined;
  private stallTimers = new Map<string, NodeJS.Timeout>();
  private closed = false;
  private keys = '';
  private keyTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: RealtimeAgentConfig,
    private readonly ctx: AgentContext,
    private readonly onFailure: (reason: string) => void,
  ) {
    this.format = config.audio_format ?? 'g711_ulaw';
    this.encoder = new CallerAudioEncoder(this.format);
  }

  /** Connects, configures the session and starts listening; rejects (closed) when any step fails. */
  async start(): Promise<void> {
    const c = this.config;
    const media = this.ctx.media;
    if (!media) throw new Error('the call lends no audio to the agent (ctx.media is missing)');
    const timeoutMs = c.connect_timeout_ms ?? 5000;
    // The call ending at any step stops the start (and later, the whole session).
    this.ctx.signal.addEventListener('abort', () => this.close(), { once: true });
    try {
      const instructions = this.ctx.render(c.instructions, 'config.instructions');
      this.toolbox = agentToolbox(this.ctx, c.builtins ? { builtins: c.builtins } : {});
      this.socket = await RealtimeSocket.connect({
        url: c.url ?? DEFAULT_REALTIME_URL,
        model: c.model,
        apiKey: realtimeApiKey(c),
        connectTimeoutMs: timeoutMs,
        signal: this.ctx.signal,
        onEvent: (e) => this.onEvent(e),
        onDrop: (reason) => this.drop(reason),
      });
      const ready = new Promise<void>((resolve, reject) => (this.sessionReady = { resolve, reject }));
      // Rejected later by close() or a drop, possibly after the wait below gave up: never unhandled.
      ready.catch(() => undefined);
      this.socket.send(sessionUpdate({ instructions, tools: this.toolbox.descriptions(), config: c }));
      await withTimeout(ready, timeoutMs, 'the realtime session.updated');
      const listening = media.listen((frame) => this.onFrame(frame));
      // A tap that comes after the wait gave up (or after the call ended) is stopped at once.
      void listening.then(
        (tap) => (this.closed ? tap.stop() : undefined),
        () => undefined,
      );
      this.tap = await withTimeout(listening, timeoutMs, "the call's audio");
      if (this.closed) throw new Error('the call ended while the realtime session started');
      if (c.first_message) {
        const line = this.ctx.render(c.first_message, 'config.first_message');
        this.socket.send({
          type: 'response.create',
          response: { instructions: `Greet the caller by saying exactly this, then listen: ${line}` },
        });
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Ends the session: socket, tap, players. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket?.close();
    this.tap?.stop();
    for (const r of this.replies.values()) r.stop();
    clearTimeout(this.keyTimer);
    for (const t of this.stallTimers.values()) clearTimeout(t);
    this.stallTimers.clear();
    this.sessionReady?.reject(new Error('the realtime session closed'));
  }

  /**
   * A key the caller pressed: the model hears no DTMF in the audio, so the keys (gathered while they
   * come quickly) reach it as a user message, and it answers once it is not already answering.
   */
  keyPressed(digit: string): void {
    if (this.closed) return;
    this.keys += digit;
    clearTimeout(this.keyTimer);
    this.keyTimer = setTimeout(() => {
      const keys = this.keys;
      this.keys = '';
      this.socket?.send({
        type: 'conversation.item.create',
        item: {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: `[The caller pressed ${keys.split('').join(' ')} on the keypad.]` },
          ],
        },
      });
      if (![...this.replies.values()].some((r) => r.inProgress))
        this.socket?.send({ type: 'response.create' });
    }, KEY_GAP_MS);
  }

  private drop(reason: string): void {
    if (this.closed || this.ctx.signal.aborted) return;
    this.ctx.log.warn({ reason }, 'realtime socket dropped mid-call; using the fallback');
    this.ctx.record('agent-error', { source: 'realtime', message: `the realtime socket ${reason}` });
    this.sessionReady?.reject(new Error(`the realtime socket ${reason}`));
    this.close();
    this.onFailure(reason);
  }

  private onFrame(frame: Int16Array): void {
    if (this.closed) return;
    this.pending.push(frame);
    if (this.pending.length < APPEND_FRAMES) return;
    const total = this.pending.reduce((n, f) => n + f.length, 0);
    const pcm = new Int16Array(total);
    let at = 0;
    for (const f of this.pending) {
      pcm.set(f, at);
      at += f.length;
    }
    this.pending = [];
    this.socket?.send({ type: 'input_audio_buffer.append', audio: this.encoder.encode(pcm) });
  }

  private onEvent(e: ServerEvent): void {
    if (this.closed) return;
    switch (e.type) {
      case 'session.updated':
        this.sessionReady?.resolve();
        this.sessionReady = undefined;
        return;
      case 'error':
        return this.onError(e);
      case 'input_audio_buffer.speech_started':
        return void this.bargeIn().catch((err: unknown) =>
          this.ctx.log.warn({ err: (err as Error).message }, 'realtime barge-in failed'),
        );
      case 'conversation.item.input_audio_transcription.completed': {
        const text = str(e, 'transcript').trim();
        if (text) this.store('caller', text);
        return;
      }
      case 'response.created': {
        const id = str((e.response ?? {}) as ServerEvent, 'id');
        if (id) this.reply(id);
        return;
      }
      case 'response.audio.delta':
        return this.onAudio(e);
      case 'response.audio_transcript.delta': {
        const r = this.reply(str(e, 'response_id'));
        if (!r.transcriptFinal) r.text += str(e, 'delta');
        return;
      }
      case 'response.audio_transcript.done': {
        const r = this.reply(str(e, 'response_id'));
        r.text = str(e, 'transcript');
        r.transcriptFinal = true;
        return;
      }
      case 'response.function_call_arguments.done':
        return this.onFunctionCall(str(e, 'response_id'), e);
      case 'response.output_item.done': {
        const item = (e.item ?? {}) as ServerEvent;
        if (item.type === 'function_call') this.onFunctionCall(str(e, 'response_id'), item);
        return;
      }
      case 'response.done': {
        const response = (e.response ?? {}) as ServerEvent;
        return void this.onResponseDone(str(response, 'id'), str(response, 'status') || 'completed');
      }
    }
  }

  private onError(e: ServerEvent): void {
    const error = (e.error ?? {}) as ServerEvent;
    const code = str(error, 'code');
    // Cancelling a response that has just finished is a race, not a fault.
    if (code === 'response_cancel_not_active') return;
    const detail = { type: str(error, 'type'), code, message: str(error, 'message') };
    this.ctx.log.warn(detail, 'realtime server reported an error');
    this.ctx.record('agent-error', { source: 'realtime', ...detail });
    if (this.sessionReady) {
      this.sessionReady.reject(
        new Error(`realtime session.update refused: ${str(error, 'message') || code}`),
      );
      this.sessionReady = undefined;
    }
  }

  /** The reply for a response id (created on first sight: events may come before response.created). */
  private reply(id: string): RealtimeReply {
    let r = this.replies.get(id);
    if (!r) {
      r = new RealtimeReply(id, formatRate(this.format));
      this.replies.set(id, r);
    }
    this.watchStall(r);
    return r;
  }

  private watchStall(r: RealtimeReply): void {
    clearTimeout(this.stallTimers.get(r.responseId));
    if (!r.inProgress) return void this.stallTimers.delete(r.responseId);
    const timer = setTimeout(() => {
      this.ctx.log.warn({ response: r.responseId }, 'realtime response stalled; ending its audio');
      void this.onResponseDone(r.responseId, 'stalled');
    }, RESPONSE_STALL_MS);
    timer.unref();
    this.stallTimers.set(r.responseId, timer);
  }

  private onAudio(e: ServerEvent): void {
    const r = this.reply(str(e, 'response_id'));
    if (r.abort.signal.aborted) return;
    const itemId = str(e, 'item_id');
    if (!r.itemId) r.itemId = itemId;
    else if (itemId !== r.itemId) return; // one audio item per response is played
    r.queue.push(decodeAudioDelta(this.format, str(e, 'delta')));
    if (!r.played) this.startPlaying(r, this.ctx.media as AgentMedia);
  }

  private startPlaying(r: RealtimeReply, media: AgentMedia): void {
    const previous = this.playChain;
    r.played = previous.then((): Promise<PlayOutcome> =>
      r.abort.signal.aborted
        ? Promise.resolve({ status: 'interrupted', durationMs: 0 })
        : media.play({ kind: 'stream', segments: r.queue.segments() }, { signal: r.abort.signal }),
    );
    this.playChain = r.played.then(
      (outcome) => {
        r.outcome = outcome;
        // Stopped by the call, not by us (its own barge-in, a key): the model must still learn what was heard.
        if (outcome.status === 'interrupted' && !r.interrupted && !this.closed) {
          r.interrupted = true;
          r.stop();
          if (r.inProgress) this.socket?.send({ type: 'response.cancel' });
          this.truncate(r, outcome);
        }
      },
      (err: unknown) => {
        this.ctx.log.warn({ err: (err as Error).message }, 'playing the realtime reply failed');
        r.outcome = { status: 'interrupted', durationMs: 0 };
      },
    );
    void this.playChain.then(() => this.storeReply(r));
  }

  /** Stores the agent's line once its play ended: all of it, or what the caller heard of it. */
  private async storeReply(r: RealtimeReply): Promise<void> {
    if (r.interrupted || !r.transcriptFinal) await r.whenDone(TRANSCRIPT_WAIT_MS);
    this.forget(r);
    const text = r.text.trim();
    if (!text) return;
    const heard = r.interrupted ? heardText(text, this.heardMs(r), r.queue.receivedMs) : text;
    if (heard) this.store('agent', heard);
  }

  /** A reply that is done and has played (or never will) is no longer followed. */
  private forget(r: RealtimeReply): void {
    if (!r.inProgress && (r.outcome || !r.played) && !r.tools.length) this.replies.delete(r.responseId);
  }

  private heardMs(r: RealtimeReply): number {
    // The server refuses audio_end_ms past the audio it sent.
    return Math.min(r.outcome?.durationMs ?? 0, r.queue.receivedMs);
  }

  /**
   * Caller speech over the agent: stop every reply still playing or queued, tell the model how much
   * of each was heard (`conversation.item.truncate`, so its context holds only what was said) and
   * cancel the response still being generated.
   */
  private async bargeIn(): Promise<void> {
    const live = [...this.replies.values()].filter((r) => r.played && !r.outcome && !r.interrupted);
    const generating = [...this.replies.values()].some((r) => r.inProgress && r.itemId);
    if (generating) this.socket?.send({ type: 'response.cancel' });
    for (const r of live) {
      r.interrupted = true;
      r.stop();
    }
    for (const r of live) {
      // Not the play chain: a reply that starts after this one must not hold the truncate back.
      const outcome = await withTimeout(
        r.played as Promise<PlayOutcome>,
        STOP_TIMEOUT_MS,
        'the stopped reply',
      ).catch(() => undefined);
      this.truncate(r, outcome);
    }
  }

  /** Tells the model how much of a stopped reply's audio the caller heard (its context keeps only that). */
  private truncate(r: RealtimeReply, outcome: PlayOutcome | undefined): void {
    const heard = Math.min(outcome?.durationMs ?? 0, r.queue.receivedMs);
    this.ctx.log.info({ item: r.itemId, heard_ms: heard, sent_ms: r.queue.receivedMs }, 'caller barged in');
    this.socket?.send({
      type: 'conversation.item.truncate',
      item_id: r.itemId,
      content_index: 0,
      audio_end_ms: heard,
    });
  }

  private onFunctionCall(responseId: string, e: ServerEvent): void {
    const callId = str(e, 'call_id');
    if (!callId || this.seenCalls.has(callId) || !this.toolbox) return;
    this.seenCalls.add(callId);
    const name = str(e, 'name');
    const args = str(e, 'arguments') || '{}';
    const toolbox = this.toolbox;
    this.ctx.log.info({ tool: name, call_id: callId }, 'realtime model called a tool');
    const started = Date.now();
    const run = async (): Promise<{ output: Record<string, unknown>; ended: boolean }> => {
      // The model says goodbye (or "connecting you") in its own audio before it ends or hands off the
      // call: let that play out first.
      if (CALL_ENDING_TOOLS.has(name) && !toolbox.isAction(name))
        await withTimeout(this.playChain, HAND_OFF_WAIT_MS, 'the last reply').catch(() => undefined);
      return toolbox.run({ id: callId, name, arguments: args });
    };
    const result = withTimeout(run(), TOOL_TIMEOUT_MS, `the tool ${name}`)
      .catch((err: unknown) => ({ output: { ok: false, error: (err as Error).message }, ended: false }))
      .then((outcome) => {
        this.ctx.record('decision', {
          tool: name,
          arguments: safeJson(args),
          ms: Date.now() - started,
          result: outcome.output,
        });
        return outcome;
      });
    this.reply(responseId).tools.push({ callId, result });
  }

  /** After a response: its tool results go back to the model, which then answers (unless the call ended). */
  private async onResponseDone(id: string, status: string): Promise<void> {
    const r = this.reply(id);
    r.finish(status);
    this.watchStall(r);
    if (!r.tools.length) return this.forget(r);
    const results = await Promise.all(r.tools.map(async (t) => ({ callId: t.callId, ...(await t.result) })));
    r.tools.length = 0;
    this.forget(r);
    if (this.closed) return;
    for (const res of results)
      this.socket?.send({
        type: 'conversation.item.create',
        item: { type: 'function_call_output', call_id: res.callId, output: JSON.stringify(res.output) },
      });
    const busy = [...this.replies.values()].some((other) => other.inProgress);
    // A cancelled response was cut by the caller: the server answers once they stop talking.
    if (results.some((res) => res.ended) || status === 'cancelled' || busy) return;
    this.socket?.send({ type: 'response.create' });
  }

  private store(speaker: 'caller' | 'agent', text: string): void {
    this.lines = this.lines
      .then(() => this.ctx.perform({ type: 'transcript', speaker, text }))
      .catch((err: unknown) =>
        this.ctx.log.warn({ err: (err as Error).message, speaker }, 'storing a transcript line failed'),
      );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
