import {
  RESULT_COMMANDS,
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

  constructor(
    private readonly call: CallSession,
    private readonly agent: Agent,
    private readonly templates: TemplateRenderer,
  ) {}

  start(): void {
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
    if (this.gather?.wantsDigits) return this.gather.digit(digit);
    this.typeahead = (this.typeahead + digit).slice(-32);
    if (!this.gathering) this.deliver({ type: 'dtmf', digit });
  }

  onSpeech(text: string): void {
    if (this.stopped) return;
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
    this.queue = this.queue.then(work).catch((err: unknown) => {
      this.call.log.error({ err }, 'call work failed');
    });
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
      perform: (command) => this.execute(command),
      tools: () => this.call.actions.tools(),
      targets: () => Object.keys(this.call.agentRecord.targets ?? {}),
      post: (event) => this.deliver(event),
      mark: () => undefined,
    };
  }

  private async process(first: AgentEvent): Promise<void> {
    let next: AgentEvent | undefined = first;
    while (next && !this.stopped) {
      let commands: AgentCommand[];
      try {
        commands = await withTimeout(
          this.agent.handle(next, this.context()),
          AGENT_REPLY_TIMEOUT_MS,
          "the agent's reply",
        );
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
        await call.say(c.text, {
          ...(c.interrupt !== undefined ? { interruptOnDtmf: c.interrupt } : {}),
          ...(c.barge_in !== undefined ? { bargeIn: c.barge_in } : {}),
        });
        return undefined;
      case 'say-stream': {
        let said = '';
        for await (const piece of c.text) said += piece;
        said = said.trim();
        await call.say(said, c.barge_in !== undefined ? { bargeIn: c.barge_in } : {});
        return { type: 'spoken', said, heard: said };
      }
      case 'dtmf': {
        const r = await call.sendDtmf(c.digits);
        return { type: 'dtmf-result', ok: true, sent: r.sent };
      }
      case 'play':
        await call.play(c.path, { interruptOnDtmf: c.interrupt ?? false });
        return undefined;
      case 'collect':
        Object.assign(call.actions.collected, c.values);
        call.recorder.update({ collected: call.actions.collected });
        return undefined;
      case 'transcript':
        // Fed like any other line, after this command list: a caller line must not answer itself.
        setImmediate(() => call.transcript({ text: c.text, speaker: c.speaker ?? 'caller', final: true }));
        return undefined;
      case 'gather':
        return { type: 'gather-result', ...(await this.runGather(c)) };
      case 'action': {
        const r = await call.actions.callTool(c.name, c.args ?? {});
        if (r.say) await call.say(r.say);
        return r.ok
          ? { type: 'action-result', action: r.action, ok: true, outputs: r.outputs }
          : {
              type: 'action-result',
              action: r.action,
              ok: false,
              error: { code: r.error.code, message: r.error.message },
            };
      }
      case 'transfer': {
        const result = await call.transfer(c.target, { mode: c.mode ?? 'cold', ...(c.options ?? {}) });
        return { type: 'transfer-result', target: c.target, ...result };
      }
      case 'voicemail':
        return { type: 'voicemail-result', ...(await call.voicemail(c.options ?? {})) };
      case 'hangup':
        if (c.say) await call.say(c.say);
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
