/**
 * What a realtime agent test needs around the agent: the call's audio as the telephony port provides
 * it (a player that consumes a stream at real-time pace and can be stopped, and a tap the test speaks
 * into in 20 ms frames), and the session's context (commands recorded; actions answered by the test).
 */
import { pino } from 'pino';
import type { AgentCommand, AgentContext, AgentEvent, AgentMedia } from '../../../src/agent/agent.js';
import type { ToolDescription } from '../../../src/actions/tool-description.js';
import type { MediaSource, PlayOutcome } from '../../../src/telephony/port.js';
import { TemplateRenderer } from '../../../src/templates/template-renderer.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface PlayRecord {
  samples: number;
  sampleRate: number;
  startedAt: number;
  outcome?: PlayOutcome;
}

/** The call's audio: a real-time player (the port's `stream` contract) and a caller tap. */
export class InMemoryCallAudio implements AgentMedia {
  readonly plays: PlayRecord[] = [];
  tapStopped = false;
  private onFrame: ((frame: Int16Array) => void) | undefined;
  /** Stops what plays now, as the call does on its own (a key, the session's barge-in). */
  private callStop = new AbortController();

  interruptPlaying(): void {
    this.callStop.abort();
    this.callStop = new AbortController();
  }

  listen(onFrame: (frame: Int16Array) => void): Promise<{ readonly sampleRate: number; stop(): void }> {
    this.onFrame = onFrame;
    this.tapStopped = false;
    return Promise.resolve({
      sampleRate: 8000,
      stop: () => {
        this.tapStopped = true;
        this.onFrame = undefined;
      },
    });
  }

  /** Plays a stream in real time; `durationMs` is what was played when it ended or was stopped. */
  async play(source: MediaSource, options: { signal: AbortSignal }): Promise<PlayOutcome> {
    if (source.kind !== 'stream') throw new Error(`unexpected ${source.kind} source`);
    const signal = AbortSignal.any([options.signal, this.callStop.signal]);
    const record: PlayRecord = { samples: 0, sampleRate: 0, startedAt: Date.now() };
    this.plays.push(record);
    const stopped = new Promise<void>((resolve) =>
      signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    let sentMs = 0;
    outer: for await (const segment of source.segments) {
      for await (const chunk of segment) {
        if (signal.aborted) break outer;
        record.samples += chunk.samples.length;
        record.sampleRate = chunk.sampleRate;
        sentMs += (chunk.samples.length * 1000) / chunk.sampleRate;
        const wait = record.startedAt + sentMs - Date.now();
        if (wait > 0) await Promise.race([sleep(wait), stopped]);
        if (signal.aborted) break outer;
      }
    }
    const durationMs = Math.round(Math.min(sentMs, Date.now() - record.startedAt));
    record.outcome = signal.aborted
      ? { status: 'interrupted', durationMs }
      : { status: 'completed', durationMs };
    return record.outcome;
  }

  /** The caller speaks `samples` (8 kHz) in 20 ms frames; `realTime` paces them as RTP would. */
  async speak(samples: Int16Array, realTime = true): Promise<void> {
    const start = Date.now();
    for (let at = 0, n = 0; at + 160 <= samples.length; at += 160, n++) {
      this.onFrame?.(samples.slice(at, at + 160));
      if (realTime) {
        const wait = start + (n + 1) * 20 - Date.now();
        if (wait > 0) await sleep(wait);
      } else if (n % 25 === 0) await sleep(1);
    }
  }

  /** Silence from the caller (the line is open, nobody talks). */
  silence(ms: number, realTime = true): Promise<void> {
    return this.speak(new Int16Array((ms * 8000) / 1000), realTime);
  }
}

export interface RealtimeCallContext {
  ctx: AgentContext;
  audio: InMemoryCallAudio;
  performed: AgentCommand[];
  /** Call events the agent recorded (decisions, errors). */
  recorded: { type: string; data: Record<string, unknown> }[];
  controller: AbortController;
  /** Caller/agent lines the agent stored. */
  lines(): { speaker: string; text: string }[];
}

export function realtimeCallContext(options: {
  tools?: ToolDescription[];
  variables?: Record<string, unknown>;
  action?: (c: Extract<AgentCommand, { type: 'action' }>) => AgentEvent;
}): RealtimeCallContext {
  const audio = new InMemoryCallAudio();
  const performed: AgentCommand[] = [];
  const recorded: { type: string; data: Record<string, unknown> }[] = [];
  const controller = new AbortController();
  const templates = new TemplateRenderer();
  const scope = {
    call: { id: 'call_rt', from: '+15551230000', to: '+15559870000' },
    data: options.variables ?? {},
  };
  const ctx: AgentContext = {
    callId: 'call_rt',
    scope: () => scope,
    render: (text, field) => templates.render(text, scope, field),
    log: pino({ level: 'silent' }),
    signal: controller.signal,
    perform: (command) => {
      performed.push(command);
      if (command.type === 'action') return Promise.resolve(options.action?.(command));
      if (command.type === 'hangup') controller.abort();
      return Promise.resolve(undefined);
    },
    post: () => undefined,
    tools: () => options.tools ?? [],
    targets: () => [],
    record: (type, data) => recorded.push({ type, data }),
    mark: () => undefined,
    media: audio,
  };
  return {
    ctx,
    audio,
    performed,
    recorded,
    controller,
    lines: () =>
      performed.flatMap((c) =>
        c.type === 'transcript' ? [{ speaker: c.speaker ?? 'caller', text: c.text }] : [],
      ),
  };
}

/** Polls until `check` holds (or throws after `ms`). */
export async function until(check: () => boolean, ms = 10_000, what = 'the condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
