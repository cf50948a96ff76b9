import {
  RESULT_COMMANDS,
  type ActionFiller,
  type Agent,
  type AgentCommand,
  type AgentContext,
  type AgentEvent,
  type GatherCommand,
} from '../agent/agent.js';
import type { TemplateRenderer } from '../templates/template-renderer.js';
import type { HangupEvent } from '../telephony/port.js';
import type { CallSession } from './call-session.js';
import { DtmfGather } from './dtmf-gather.js';
import { withTimeout } from '../util/with-timeout.js';

/** Longest the agent may take to answer one event when it is not a webhook with its own timeout. */
const AGENT_REPLY_TIMEOUT_MS = 30_000;
/** An action still running after this long gets the slow filler line, unless the agent sets its own. */
const DEFAULT_SLOW_AFTER_MS = 4000;
/** After the agent's call-length limit, how long it has to close the call itself before it is hung up. */
const MAX_DURATION_GRACE_MS = 20_000;

/**
 * Runs one call's agent: events go in one at a time (a queue, so commands never interleave), the
 * commands that come back are carried out on the call, and a command's result is the next event.
 * Keys pressed while no gather waits are kept as type-ahead for the next gather.
 */
export class AgentDriver {
  private queue: Promise<void> = Promise.resolve();
  private gather: DtmfGather | undefined;
  /** True from the start of a gather command (its prompt included) until its result. */
  private gathering = false;
  private typeahead = '';
  private stopped = false;
  /** Texts fired actions returned (custom replies, fallback lines), spoken before the agent's next command. */
  private interjections: string[] = [];
  /** Filler lines still playing: the agent's next words wait for them (the caller hears one voice). */
  private fillers: Promise<void> = Promise.resolve();
  /** Work queued or running; the idle clock only runs when nothing is. */
  private pending = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private idleCount = 0;
  private idleSince = 0;
  private limitTimers: NodeJS.Timeout[] = [];

  constructor(
    private readonly call: CallSession,
    private readonly agent: Agent,
    private readonly templates: TemplateRenderer,
  ) {}

  start(): void {
    const max = this.agent.maxCallMs;
    if (max) {
      this.limitTimers.push(
        setTimeout(
          () => this.deliver({ type: 'call-event', event: 'max-duration', detail: { limit_ms: max } }),
          max,
        ),
        // The agent had its chance to close politely; the limit holds whatever it did.
        setTimeout(() => void this.call.hangup('maximum call length'), max + MAX_DURATION_GRACE_MS),
      );
      for (const t of this.limitTimers) t.unref();
    }
    const { init } = this.call;
    const scope = this.call.actions.scope();
    this.deliver({
      type: 'call-started',
      call: scope.call as Record<string, unknown>,
      variables: init.variables,
    });
  }

  stop(): void {
    this.stopped = true;
    this.gather?.cancel();
    this.clearIdle();
    for (const t of this.limitTimers) clearTimeout(t);
  }

  // ---- idle: caller silence after the agent has finished ----------------------------------------

  /** The caller started speaking (voice activity): not idle, whatever the recogniser makes of it. */
  onSpeechStarted(): void {
    this.idleCount = 0;
    this.clearIdle();
  }

  /** The caller's turn ended; if nothing comes of it (noise, nothing recognised) the idle clock restarts. */
  onSpeechEnded(): void {
    this.armIdle();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private armIdle(): void {
    const after = this.agent.idleAfterMs;
    if (!after || this.stopped || this.pending > 0 || this.gathering) return;
    this.clearIdle();
    this.idleSince = Date.now();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.stopped || this.pending > 0) return;
      this.idleCount += 1;
      this.deliver({ type: 'idle', count: this.idleCount, silent_ms: Date.now() - this.idleSince });
    }, after);
    this.idleTimer.unref();
  }

  /** Tells the agent how the call ended (webhook agents learn the outcome; replies are ignored). */
  notifyEnded(event: HangupEvent): void {
    void this.agent
      .handle(
        { type: 'call-event', event: 'ended', detail: { by: event.by, cause: event.cause } },
        // The call's own signal has aborted by now; this last notice gets its own deadline.
        this.context(AbortSignal.timeout(AGENT_REPLY_TIMEOUT_MS)),
      )
      .catch(() => undefined);
  }

  onDigit(digit: string): void {
    if (this.stopped) return;
    this.idleCount = 0;
    if (this.gather?.wantsDigits) return this.gather.digit(digit);
    this.typeahead = (this.typeahead + digit).slice(-32);
    if (!this.gathering) this.deliver({ type: 'dtmf', digit });
  }

  onSpeech(text: string): void {
    if (this.stopped) return;
    this.idleCount = 0;
    if (this.gather?.wantsSpeech) return this.gather.speech(text);
    if (!this.gathering) this.deliver({ type: 'transcript', text, speaker: 'caller', final: true });
  }

  /** The latest partial caller line not yet delivered (agents that hear partials). */
  private partial: string | undefined;

  /** A partial caller line: delivered to agents that ask for them, the latest one when the agent is busy. */
  onPartial(text: string): void {
    if (this.stopped || !this.agent.hearsPartials || this.gathering) return;
    const queued = this.partial !== undefined;
    this.partial = text;
    if (queued) return;
    this.enqueue(async () => {
      const latest = this.partial;
      this.partial = undefined;
      if (latest !== undefined && !this.stopped)
        await this.process({ type: 'transcript', text: latest, speaker: 'caller', final: false });
    });
  }

  /** Runs work in the agent's turn order (texts fired actions return, for instance). */
  enqueue(work: () => Promise<void>): void {
    this.pending += 1;
    this.clearIdle();
    this.queue = this.queue
      .then(work)
      .catch((err: unknown) => {
        this.call.log.error({ err }, 'call work failed');
      })
      .finally(() => {
        this.pending -= 1;
        if (this.pending === 0) this.armIdle();
      });
  }

  /** A command an agent carries out within its own turn (`ctx.perform`). */
  private async perform(command: AgentCommand): Promise<AgentEvent | undefined> {
    if (this.stopped) return undefined;
    await this.speakInterjections();
    if (this.stopped) return undefined;
    this.call.recorder.event('command', { type: command.type });
    return this.execute(command);
  }

  /**
   * An agent's `action` command: the attached action runs as a tool while filler lines keep the caller
   * company (one as it starts, one if it is slow, one if it fails). A background action is answered at
   * once as pending; its result is delivered as another event when it arrives.
   */
  private async runAction(c: Extract<AgentCommand, { type: 'action' }>): Promise<AgentEvent> {
    const call = this.call;
    const ref = c.ref !== undefined ? { ref: c.ref } : {};
    const running = call.actions.callTool(c.name, c.args ?? {});
    const toEvent = async (r: Awaited<typeof running>): Promise<AgentEvent> => {
      // The action's own line (a custom reply, a failure message) follows the filler lines, never over them.
      if (r.say) {
        await this.fillers;
        await call.say(r.say);
      }
      return r.ok
        ? { type: 'action-result', action: r.action, ok: true, outputs: r.outputs, ...ref }
        : {
            type: 'action-result',
            action: r.action,
            ok: false,
            error: { code: r.error.code, message: r.error.message },
            ...ref,
          };
    };
    // A tool that says its own line while it runs (an http-request's `filler`) is not talked over:
    // two lines at once would cut one of them off.
    const { start, ...later }: ActionFiller = c.filler ?? {};
    const filler: ActionFiller = start && !call.actions.toolFiller(c.name) ? { start, ...later } : later;
    let finished = false;
    let wake: () => void = () => undefined;
    const done = new Promise<void>((r) => (wake = r));
    const talk = async (): Promise<void> => {
      if (filler.start) await call.say(filler.start, { bargeIn: false });
      if (!filler.slow) return;
      const slowAfter = filler.slow_after_ms ?? DEFAULT_SLOW_AFTER_MS;
      const timer = new Promise<void>((r) => setTimeout(r, slowAfter).unref());
      await Promise.race([timer, done]);
      if (!finished && !this.stopped) await call.say(filler.slow, { bargeIn: false });
    };
    const startedAt = Date.now();
    const talking = talk().catch((err: unknown) => call.log.warn({ err }, 'filler line failed'));
    const settle = async (r: Awaited<typeof running>): Promise<void> => {
      finished = true;
      wake();
      call.recorder.event('tool', {
        action: r.action,
        ok: r.ok,
        ms: Date.now() - startedAt,
        ...(c.background ? { background: true } : {}),
      });
      await talking;
      if (!r.ok && filler.failed && !this.stopped) await call.say(filler.failed, { bargeIn: false });
    };
    if (c.background) {
      void running.then(async (r) => {
        await settle(r);
        if (!this.stopped) this.deliver({ ...(await toEvent(r)), background: true } as AgentEvent);
      });
      this.fillers = talking;
      return { type: 'action-result', action: c.name, ok: true, pending: true, background: true, ...ref };
    }
    const r = await running;
    // The result goes back to the agent now (its next request starts while the filler finishes);
    // its next words wait for the filler lines.
    this.fillers = settle(r);
    return toEvent(r);
  }

  /** Speaks texts from fired actions at the next point between agent commands (or now, if idle). */
  interject(texts: string[]): void {
    this.interjections.push(...texts);
    this.enqueue(() => this.speakInterjections());
  }

  private async speakInterjections(): Promise<void> {
    while (this.interjections.length && !this.stopped) await this.call.say(this.interjections.shift()!);
  }

  deliver(event: AgentEvent): void {
    this.enqueue(() => this.process(event));
  }

  private context(signal: AbortSignal = this.call.controller.signal): AgentContext {
    return {
      callId: this.call.id,
      scope: () => this.call.actions.scope(),
      render: (text, field) => this.templates.render(text, this.call.actions.scope(), field),
      log: this.call.log,
      signal,
      perform: (command) => this.perform(command),
      tools: () => this.call.actions.tools(),
      targets: () => Object.keys(this.call.agentRecord.targets ?? {}),
      post: (event) => this.deliver(event),
      mark: (moment) => this.call.turns.mark(moment),
      record: (type, data) => this.call.recorder.event(type, data),
      ...(this.agent.hearsAudio ? { media: this.call.agentMedia() } : {}),
    };
  }

  private async process(first: AgentEvent): Promise<void> {
    let next: AgentEvent | undefined = first;
    while (next && !this.stopped) {
      let commands: AgentCommand[];
      try {
        const reply = this.agent.handle(next, this.context());
        commands = this.agent.drivesTurns
          ? await reply
          : await withTimeout(reply, AGENT_REPLY_TIMEOUT_MS, "the agent's reply");
      } catch (err) {
        this.call.log.error({ err: (err as Error).message, event: next.type }, 'agent failed; hanging up');
        this.call.recorder.event('agent-error', { event: next.type, message: (err as Error).message });
        await this.call.hangup('agent error');
        return;
      }
      next = undefined;
      for (const [i, command] of commands.entries()) {
        await this.speakInterjections();
        if (this.stopped) return;
        this.call.recorder.event('command', { type: command.type });
        next = await this.execute(command);
        if (RESULT_COMMANDS.has(command.type)) {
          if (i < commands.length - 1)
            this.call.log.warn(
              { dropped: commands.length - 1 - i },
              'commands after a waiting command were dropped',
            );
          break;
        }
      }
    }
  }

  private async execute(c: AgentCommand): Promise<AgentEvent | undefined> {
    const call = this.call;
    switch (c.type) {
      case 'say':
        await this.fillers;
        await call.say(c.text, {
          ...(c.interrupt !== undefined ? { interruptOnDtmf: c.interrupt } : {}),
          ...(c.barge_in !== undefined ? { bargeIn: c.barge_in } : {}),
        });
        return undefined;
      case 'say-stream':
        await this.fillers;
        return {
          type: 'spoken',
          ...(await call.sayStream(c.text, c.barge_in !== undefined ? { bargeIn: c.barge_in } : {})),
        };
      case 'dtmf':
        try {
          const r = await call.sendDtmf(c.digits);
          return { type: 'dtmf-result', ok: true, sent: r.sent };
        } catch (err) {
          return {
            type: 'dtmf-result',
            ok: false,
            error: { code: 'NO_CALL', message: (err as Error).message },
          };
        }
      case 'play':
        await call.play(c.path, { interruptOnDtmf: c.interrupt ?? false });
        return undefined;
      case 'collect':
        Object.assign(call.actions.collected, c.values);
        // Written before the next command runs: an action it starts may read the row's collected fields.
        await call.recorder.update({ collected: call.actions.collected });
        return undefined;
      case 'transcript':
        // Fed like any other line, after this command list: a caller line must not answer itself.
        setImmediate(() => call.transcript({ text: c.text, speaker: c.speaker ?? 'caller', final: true }));
        return undefined;
      case 'gather':
        return { type: 'gather-result', ...(await this.runGather(c)) };
      case 'action':
        return this.runAction(c);
      case 'transfer': {
        const result = await call.transfer(c.target, { mode: c.mode ?? 'cold', ...(c.options ?? {}) });
        return { type: 'transfer-result', target: c.target, ...result };
      }
      case 'voicemail':
        return { type: 'voicemail-result', ...(await call.voicemail(c.options ?? {})) };
      case 'hangup':
        await this.fillers;
        if (c.disposition) await call.setDisposition(c.disposition);
        if (c.say) await call.say(c.say, { bargeIn: false });
        await call.hangup(c.reason ?? 'agent');
        return undefined;
    }
  }

  private async runGather(
    c: GatherCommand,
  ): Promise<{ input: 'dtmf' | 'speech' | 'timeout' | 'hangup'; digits?: string; text?: string }> {
    this.gathering = true;
    try {
      if (c.input !== 'dtmf') this.call.expectAnswers(c.expect);
      if (c.prompt && !this.typeahead)
        await this.call.say(c.prompt, {
          interruptOnDtmf: c.input !== 'speech',
          ...(c.barge_in !== undefined ? { bargeIn: c.barge_in } : {}),
        });
      const typeahead = this.typeahead;
      this.typeahead = '';
      this.gather = new DtmfGather(c, c.input === 'speech' ? '' : typeahead);
      if (this.stopped) this.gather.cancel();
      const result = await this.gather.done;
      this.call.recorder.event('gather', {
        input: result.input,
        ...(result.digits ? { digits: result.digits } : {}),
      });
      return result;
    } finally {
      if (c.input !== 'dtmf') this.call.expectAnswers(undefined);
      this.gather = undefined;
      this.gathering = false;
    }
  }
}
