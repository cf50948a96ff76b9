import type { Agent, AgentCommand, AgentContext, AgentEvent } from '../agent.js';
import { evaluateCondition } from '../../actions/triggers/condition-expression.js';
import { matchIntent } from '../../actions/triggers/intent-matcher.js';
import { dtmfMatches } from '../../actions/triggers/dtmf-pattern.js';
import { toolName } from '../../actions/tool-description.js';
import { parseScript, type BranchArm, type Script, type ScriptStep } from './script-schema.js';

/** Steps run without waiting before the script is considered stuck in a goto loop. */
const MAX_STEPS_PER_TURN = 500;

interface LastInput {
  input: 'dtmf' | 'speech' | 'timeout' | 'hangup';
  digits?: string;
  text?: string;
}

/**
 * Runs a YAML script: steps in order, `goto` by step id. It answers each event with the commands of the
 * steps up to the next one that waits (gather, action, transfer, voicemail) or ends (hangup). Branches
 * test the last gathered input with the engine's own matchers: DTMF digits/patterns, intent phrases,
 * and the condition language over the call's variables. Falling off the end hangs up.
 */
export class ScriptedAgent implements Agent {
  readonly kind = 'scripted';
  private readonly script: Script;
  private readonly index = new Map<string, number>();
  private pc = 0;
  /** Index of the step whose result the agent waits for. */
  private waitingAt: number | undefined;
  private last: LastInput | undefined;
  private done = false;

  constructor(config: unknown) {
    this.script = parseScript(config);
    this.script.steps.forEach((s, i) => s.id && this.index.set(s.id, i));
  }

  listensFor(): string[] {
    const phrases = new Set<string>();
    for (const step of this.script.steps)
      if ('branch' in step) for (const arm of step.branch) for (const p of arm.intent ?? []) phrases.add(p);
    return [...phrases];
  }

  /** The intents of the branch right after step `at` (what a question expects as an answer). */
  private expectedAfter(at: number): string[] {
    const next = this.script.steps[at + 1];
    if (!next || !('branch' in next)) return [];
    return next.branch.flatMap((arm) => arm.intent ?? []);
  }

  async handle(event: AgentEvent, ctx: AgentContext): Promise<AgentCommand[]> {
    if (this.done) return [];
    switch (event.type) {
      case 'call-started':
        this.pc = 0;
        return this.run(ctx);
      case 'gather-result':
        return this.resume(ctx, () => {
          const step = this.waitingStep() as { gather?: { into?: string } } | undefined;
          this.last = { input: event.input, digits: event.digits, text: event.text };
          const value = event.digits ?? event.text ?? '';
          const collect: AgentCommand = {
            type: 'collect',
            values: { [step?.gather?.into ?? 'input']: value, last_input: event.input },
          };
          return [collect];
        });
      case 'action-result':
      case 'transfer-result':
        return this.resume(ctx, () => {
          const step = this.waitingStep() as
            { action?: { on_failure?: string }; transfer?: { on_failure?: string } } | undefined;
          const failTo = step?.[event.type === 'action-result' ? 'action' : 'transfer'];
          if (!event.ok && typeof failTo === 'object' && failTo?.on_failure) this.jump(failTo.on_failure);
          return [];
        });
      case 'voicemail-result':
        return this.resume(ctx, () => []);
      default:
        return [];
    }
  }

  /** Continues after the step that waited; `before` may add commands and move the program counter. */
  private resume(ctx: AgentContext, before: () => AgentCommand[]): AgentCommand[] {
    if (this.waitingAt === undefined) return [];
    this.pc = this.waitingAt + 1;
    const first = before();
    this.waitingAt = undefined;
    return [...first, ...this.run(ctx)];
  }

  private waitingStep(): ScriptStep | undefined {
    return this.waitingAt === undefined ? undefined : this.script.steps[this.waitingAt];
  }

  private jump(id: string): void {
    const to = this.index.get(id);
    if (to === undefined) throw new Error(`script: no step with id ${JSON.stringify(id)}`);
    this.pc = to;
  }

  private run(ctx: AgentContext): AgentCommand[] {
    const out: AgentCommand[] = [];
    for (let n = 0; n < MAX_STEPS_PER_TURN; n++) {
      const step = this.script.steps[this.pc];
      if (!step) {
        this.done = true;
        out.push({ type: 'hangup', reason: 'script finished' });
        return out;
      }
      const field = `steps.${this.pc}`;
      const { command, waits, next } = this.step(step, ctx, field);
      if (command) out.push(command);
      if (waits) {
        this.waitingAt = this.pc;
        return out;
      }
      if (command?.type === 'hangup') {
        this.done = true;
        return out;
      }
      this.pc = next ?? this.pc + 1;
    }
    ctx.log.warn({ step: this.pc }, 'script ran too many steps without waiting (a goto loop?)');
    this.done = true;
    out.push({ type: 'hangup', reason: 'script loop' });
    return out;
  }

  private step(
    step: ScriptStep,
    ctx: AgentContext,
    field: string,
  ): { command?: AgentCommand; waits?: boolean; next?: number } {
    if ('say' in step) {
      const s = typeof step.say === 'string' ? { text: step.say } : step.say;
      return {
        command: {
          type: 'say',
          text: ctx.render(s.text, `${field}.say`),
          interrupt: s.interrupt ?? false,
          ...('barge_in' in s && s.barge_in !== undefined ? { barge_in: s.barge_in } : {}),
        },
      };
    }
    if ('play' in step) {
      const p = typeof step.play === 'string' ? { path: step.play } : step.play;
      return { command: { type: 'play', path: p.path, interrupt: p.interrupt ?? false } };
    }
    if ('gather' in step) {
      const g = step.gather;
      return {
        waits: true,
        command: {
          type: 'gather',
          input: g.input ?? 'dtmf',
          ...(g.prompt ? { prompt: ctx.render(g.prompt, `${field}.gather.prompt`) } : {}),
          max_digits: g.max_digits ?? 1,
          ...(g.finish_on_key ? { finish_on_key: g.finish_on_key } : {}),
          timeout_ms: g.timeout_ms ?? 5000,
          inter_digit_timeout_ms: g.inter_digit_timeout_ms ?? 3000,
          ...(this.expectedAfter(this.pc).length ? { expect: this.expectedAfter(this.pc) } : {}),
          ...(g.barge_in !== undefined ? { barge_in: g.barge_in } : {}),
        },
      };
    }
    if ('branch' in step) {
      const arm = step.branch.find((a) => this.matches(a, ctx));
      return arm ? { next: this.index.get(arm.goto) } : {};
    }
    if ('goto' in step) return { next: this.index.get(step.goto) };
    if ('action' in step) {
      const a = typeof step.action === 'string' ? { name: step.action } : step.action;
      return {
        waits: true,
        command: { type: 'action', name: toolName(a.name), ...(a.args ? { args: a.args } : {}) },
      };
    }
    if ('transfer' in step) {
      const t = step.transfer;
      return {
        waits: true,
        command: {
          type: 'transfer',
          target: t.target,
          mode: t.mode ?? 'cold',
          ...(t.options ? { options: t.options } : {}),
        },
      };
    }
    if ('voicemail' in step) {
      const v = step.voicemail === true ? {} : step.voicemail;
      return { waits: true, command: { type: 'voicemail', ...(v.options ? { options: v.options } : {}) } };
    }
    if ('collect' in step) return { command: { type: 'collect', values: step.collect } };
    const h = step.hangup === true ? {} : step.hangup;
    return {
      command: {
        type: 'hangup',
        ...(h.say ? { say: ctx.render(h.say, `${field}.hangup.say`) } : {}),
        ...(h.reason ? { reason: h.reason } : {}),
      },
    };
  }

  private matches(arm: BranchArm, ctx: AgentContext): boolean {
    const last = this.last;
    if (arm.default) return true;
    if (arm.no_input) return !last || last.input === 'timeout';
    if (arm.dtmf !== undefined) {
      if (last?.input !== 'dtmf' || !last.digits) return false;
      return /^[0-9*#A-Da-d]+$/.test(arm.dtmf)
        ? last.digits.toUpperCase() === arm.dtmf.toUpperCase()
        : dtmfMatches(last.digits, { pattern: arm.dtmf });
    }
    if (arm.intent) return last?.input === 'speech' && !!matchIntent(last.text ?? '', arm.intent);
    if (arm.condition) return evaluateCondition(arm.condition, ctx.scope());
    return false;
  }
}
