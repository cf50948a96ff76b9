import { pino } from 'pino';
import {
  RESULT_COMMANDS,
  type Agent,
  type AgentCommand,
  type AgentContext,
  type AgentEvent,
  type GatherCommand,
} from './agent.js';
import { createAgent, type AgentDeps } from './create-agent.js';
import type { AgentRecord } from '../store/store.js';
import type { TemplateRenderer } from '../templates/template-renderer.js';
import type { ActionSession } from '../actions/action-session.js';

/** One thing the agent would do, tied to the script event that led to it (0 = before the first). */
export type SimulatedAgentStep = { step: number; on: string } & Record<string, unknown>;

/** What the simulation lends the agent: the dry-run session and how tool calls are run and recorded. */
export interface SimulatedAgentDeps {
  session: ActionSession;
  templates: TemplateRenderer;
  /** Runs an action the agent calls as a tool (dry run) and records its run. */
  callTool(
    name: string,
    args: Record<string, unknown>,
    step: number,
    on: string,
  ): Promise<{
    ok: boolean;
    action: string;
    outputs?: Record<string, unknown>;
    error?: { code: string; message: string };
  }>;
  /** Feeds a transcript line the agent heard itself to the triggers, as a real call does. */
  transcript(text: string, speaker: 'caller' | 'agent', step: number, on: string): Promise<void>;
  /** Told of each step as it is recorded (a caller test keeps the call's lines and acts in order). */
  onStep?(step: SimulatedAgentStep): void;
  /** The agent's named transfer targets (its record's `targets`), offered as a transfer tool's choices. */
  targets?: string[];
}

export interface SimulatedAgentOptions {
  /**
   * Drive a webhook agent too. Off by default: each of its turns is a real POST to the agent's
   * server, which may act on it (a side effect a dry run promises not to have).
   */
  allowWebhook?: boolean;
  /** What agents need besides their record (the server's `llm` settings for `llm` agents). */
  agentDeps?: AgentDeps;
}

/** Script input offered to the agent. */
export type SimulatedInput =
  | { kind: 'dtmf'; digits: string }
  | { kind: 'speech'; text: string }
  | { kind: 'no_input' }
  | { kind: 'hangup' };

/**
 * Drives an agent (any kind behind the `Agent` interface) through a simulated call, the way the call
 * layer's agent driver does on a real one: commands are recorded instead of played, a gather waits
 * for the next key or caller line, caller lines outside a gather arrive as final `transcript` events,
 * actions run as dry-run tool calls, and transfers and voicemail are assumed to succeed. Webhook
 * agents are driven only when asked (calling the webhook is a side effect); agents that hear the
 * call's audio themselves cannot be driven with text.
 */
export class SimulatedAgent {
  readonly steps: SimulatedAgentStep[] = [];
  /** True once the agent hung up (or failed): the call is over. */
  hungUp = false;
  /** True once a transfer handed the caller off (the caller is no longer with the agent). */
  handedOff = false;
  private waiting: GatherCommand | undefined;
  /** Silent caller turns in a row (the `idle` event's count). */
  private idleCount = 0;
  private readonly log = pino({ level: 'silent' });

  private constructor(
    private readonly agent: Agent,
    private readonly deps: SimulatedAgentDeps,
  ) {}

  /**
   * The driver for an agent record, or undefined when there is nothing to drive: a scripted agent
   * without steps, a webhook agent (unless `allowWebhook`), an agent that hears audio itself.
   */
  static for(
    record: Pick<AgentRecord, 'kind' | 'config'>,
    deps: SimulatedAgentDeps,
    options: SimulatedAgentOptions = {},
  ): SimulatedAgent | undefined {
    if (record.kind === 'scripted') {
      const config = record.config as { steps?: unknown } | null | undefined;
      if (!config || config.steps === undefined) return undefined;
    }
    if (record.kind === 'webhook' && !options.allowWebhook) return undefined;
    return SimulatedAgent.of(createAgent(record, options.agentDeps), deps);
  }

  /** The driver for an agent already built (an agent kind that needs services to be created). */
  static of(agent: Agent, deps: SimulatedAgentDeps): SimulatedAgent | undefined {
    return agent.hearsAudio ? undefined : new SimulatedAgent(agent, deps);
  }

  /** The call was answered: the agent starts its script. */
  start(step: number, on: string): Promise<void> {
    const scope = this.deps.session.scope();
    return this.deliver(
      {
        type: 'call-started',
        call: scope.call as Record<string, unknown>,
        // A real call's variables are its session data (the script's `call.data`).
        variables: (scope.data as Record<string, unknown> | undefined) ?? {},
      },
      step,
      on,
    );
  }

  /** A key, a caller line, silence or the caller hanging up, from the script. */
  async input(input: SimulatedInput, step: number, on: string): Promise<void> {
    if (this.hungUp) return;
    const gather = this.waiting;
    if (gather && this.accepts(gather, input)) {
      this.waiting = undefined;
      return this.deliver(this.gatherResult(gather, input), step, on);
    }
    if (input.kind === 'dtmf') {
      this.idleCount = 0;
      for (const digit of input.digits) await this.deliver({ type: 'dtmf', digit }, step, on);
    } else if (input.kind === 'speech') {
      this.idleCount = 0;
      await this.deliver({ type: 'transcript', text: input.text, speaker: 'caller', final: true }, step, on);
    } else if (input.kind === 'no_input' && this.agent.idleAfterMs) {
      // A real call's idle clock would run out: the agent hears of the silence (it may reprompt).
      this.idleCount += 1;
      const idle = { type: 'idle', count: this.idleCount, silent_ms: this.agent.idleAfterMs } as const;
      await this.deliver(idle, step, on);
    } else if (input.kind === 'hangup') {
      // As on a real call the agent learns how the call ended; what it answers can no longer happen.
      const ended = { type: 'call-event', event: 'ended', detail: { by: 'caller' } } as const;
      await this.agent.handle(ended, this.context(step, on)).catch(() => undefined);
    }
  }

  private accepts(g: GatherCommand, input: SimulatedInput): boolean {
    if (input.kind === 'dtmf') return g.input !== 'speech';
    if (input.kind === 'speech') return g.input !== 'dtmf';
    return true;
  }

  private gatherResult(
    g: GatherCommand,
    input: SimulatedInput,
  ): Extract<AgentEvent, { type: 'gather-result' }> {
    if (input.kind === 'dtmf') {
      // As the real gather: stop at the finish key (not part of the input) or after max_digits.
      const end = g.finish_on_key ? input.digits.indexOf(g.finish_on_key) : -1;
      const digits = (end >= 0 ? input.digits.slice(0, end) : input.digits).slice(0, g.max_digits ?? 1);
      return { type: 'gather-result', input: digits ? 'dtmf' : 'timeout', ...(digits ? { digits } : {}) };
    }
    if (input.kind === 'speech') return { type: 'gather-result', input: 'speech', text: input.text };
    return { type: 'gather-result', input: input.kind === 'hangup' ? 'hangup' : 'timeout' };
  }

  private push(step: SimulatedAgentStep): void {
    this.steps.push(step);
    this.deps.onStep?.(step);
  }

  private context(step: number, on: string): AgentContext {
    const { session, templates } = this.deps;
    return {
      callId: 'call_simulated',
      scope: () => session.scope(),
      render: (text, field) => templates.render(text, session.scope(), field),
      log: this.log,
      signal: new AbortController().signal,
      perform: (command) => this.execute(command, step, on),
      tools: () => session.tools(),
      targets: () => this.deps.targets ?? [],
      post: (event) => void this.deliver(event, step, on),
      mark: () => undefined,
      record: () => undefined,
    };
  }

  private async deliver(first: AgentEvent, step: number, on: string): Promise<void> {
    let next: AgentEvent | undefined = first;
    while (next && !this.hungUp) {
      let commands: AgentCommand[];
      try {
        commands = await this.agent.handle(next, this.context(step, on));
      } catch (err) {
        // A real call hangs up when its agent fails; the simulation says why.
        this.push({ step, on, error: (err as Error).message });
        this.hungUp = true;
        return;
      }
      next = undefined;
      for (const command of commands) {
        const result = await this.execute(command, step, on);
        if (this.hungUp || this.waiting) return;
        if (RESULT_COMMANDS.has(command.type)) {
          next = result;
          break;
        }
      }
    }
  }

  private async execute(c: AgentCommand, step: number, on: string): Promise<AgentEvent | undefined> {
    const at = { step, on };
    switch (c.type) {
      case 'say':
        this.push({ ...at, say: c.text });
        return undefined;
      case 'say-stream': {
        let said = '';
        for await (const piece of c.text) said += piece;
        said = said.trim();
        this.push({ ...at, say: said });
        return { type: 'spoken', said, heard: said };
      }
      case 'dtmf':
        this.push({ ...at, dtmf: c.digits });
        return { type: 'dtmf-result', ok: true, sent: c.digits };
      case 'play':
        this.push({ ...at, play: c.path });
        return undefined;
      case 'collect':
        Object.assign(this.deps.session.collected, c.values);
        this.push({ ...at, collect: c.values });
        return undefined;
      case 'transcript':
        this.push({ ...at, transcript: c.text });
        await this.deps.transcript(c.text, c.speaker ?? 'caller', step, on);
        return undefined;
      case 'gather': {
        const { type: _type, ...gather } = c;
        this.push({ ...at, gather });
        this.waiting = c;
        return undefined;
      }
      case 'action': {
        // The filler lines a real call speaks around the run (no dead air), in order.
        if (c.filler?.start) this.push({ ...at, say: c.filler.start });
        const r = await this.deps.callTool(c.name, c.args ?? {}, step, on);
        this.push({
          ...at,
          action: {
            name: r.action,
            ...(c.args ? { args: c.args } : {}),
            ok: r.ok,
            ...(r.error ? { error: r.error } : {}),
          },
        });
        if (!r.ok && c.filler?.failed) this.push({ ...at, say: c.filler.failed });
        const ref = c.ref ? { ref: c.ref } : {};
        return r.ok
          ? { type: 'action-result', action: r.action, ok: true, outputs: r.outputs ?? {}, ...ref }
          : {
              type: 'action-result',
              action: r.action,
              ok: false,
              ...(r.error ? { error: r.error } : {}),
              ...ref,
            };
      }
      case 'transfer':
        this.push({
          ...at,
          transfer: { target: c.target, mode: c.mode ?? 'cold', ...(c.options ?? {}) },
        });
        this.handedOff = true;
        // A simulation assumes the transfer works: REFER taken (cold) or the target bridged (warm).
        return {
          type: 'transfer-result',
          ok: true,
          target: c.target,
          outcome: {
            flow: 'transfer',
            mode: c.mode ?? 'cold',
            target: c.target,
            result: c.mode === 'warm' ? 'connected' : 'completed',
            method: c.mode === 'warm' ? 'bridge' : 'refer',
            handed_off: true,
          },
        };
      case 'voicemail':
        this.push({ ...at, voicemail: c.options ?? {} });
        return {
          type: 'voicemail-result',
          ok: true,
          outcome: {
            flow: 'voicemail',
            saved: true,
            voicemail_id: 'vm_simulated',
            duration_ms: 0,
            end: 'simulated',
            email: { status: 'skipped', reason: 'simulation' },
          },
        };
      case 'hangup':
        this.push({
          ...at,
          hangup: { ...(c.say ? { say: c.say } : {}), ...(c.reason ? { reason: c.reason } : {}) },
        });
        this.hungUp = true;
        return undefined;
    }
  }
}
