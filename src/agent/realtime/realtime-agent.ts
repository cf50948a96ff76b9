import type { Agent, AgentCommand, AgentContext, AgentEvent } from '../agent.js';
import { RealtimeBridge } from './realtime-bridge.js';
import { parseRealtimeConfig, type RealtimeAgentConfig } from './realtime-config.js';

const DEFAULT_FALLBACK = 'Sorry, we are having technical difficulties. Please call again later.';
const DEFAULT_MAX_CALL_S = 1800;
const MAX_CALL_GOODBYE = 'We have reached the time limit for this call. Thank you for calling, goodbye.';

/**
 * A speech-to-speech model behind the OpenAI Realtime protocol: the caller's audio streams to the
 * model and the model's audio streams back (no recogniser, no synthesiser); its function calls run
 * the agent's attached actions and built-in call tools. A session that cannot start, or drops
 * mid-call, gives the fallback: its line, then hang up (or transfer) — never dead air.
 */
export class RealtimeAgent implements Agent {
  readonly kind = 'realtime';
  readonly hearsAudio = true;
  readonly drivesTurns = true;
  /** A speech-to-speech session is paid by the minute: every call has a length limit. */
  readonly maxCallMs: number;
  private readonly config: RealtimeAgentConfig;
  private bridge: RealtimeBridge | undefined;
  private failed = false;

  constructor(config: unknown) {
    this.config = parseRealtimeConfig(config);
    this.maxCallMs = (this.config.max_call_s ?? DEFAULT_MAX_CALL_S) * 1000;
  }

  async handle(event: AgentEvent, ctx: AgentContext): Promise<AgentCommand[]> {
    if (event.type === 'call-started') return this.start(ctx);
    if (event.type === 'call-event' && event.event === 'ended') this.bridge?.close();
    if (event.type === 'dtmf') this.bridge?.keyPressed(event.digit);
    if (event.type === 'call-event' && event.event === 'max-duration') {
      this.bridge?.close();
      return [{ type: 'hangup', say: MAX_CALL_GOODBYE, reason: 'max-duration', disposition: 'max-duration' }];
    }
    // The fallback's transfer did not take the caller: nobody is left to talk to them.
    if (event.type === 'transfer-result' && this.failed && !event.outcome?.handed_off)
      return [{ type: 'hangup', reason: 'realtime agent failed' }];
    // Everything else is the model's business: it hears the caller itself, the transcript lines
    // coming back are the ones the bridge stored, and it keeps the conversation going (no idle prompts).
    return [];
  }

  private async start(ctx: AgentContext): Promise<AgentCommand[]> {
    if (this.bridge || this.failed) return [];
    const bridge = new RealtimeBridge(this.config, ctx, () => {
      void this.fallBackMidCall(ctx);
    });
    this.bridge = bridge;
    try {
      await bridge.start();
      return [];
    } catch (err) {
      if (ctx.signal.aborted) return [];
      ctx.log.warn({ err: (err as Error).message }, 'realtime session failed to start; using the fallback');
      ctx.record('agent-error', { source: 'realtime', message: (err as Error).message });
      this.failed = true;
      return this.fallback();
    }
  }

  /** The socket dropped mid-call: no event is being handled, so the fallback runs as commands now. */
  private async fallBackMidCall(ctx: AgentContext): Promise<void> {
    if (this.failed) return;
    this.failed = true;
    try {
      for (const command of this.fallback()) {
        if (ctx.signal.aborted) return;
        const result = await ctx.perform(command);
        if (result?.type === 'transfer-result' && !result.outcome?.handed_off && !ctx.signal.aborted)
          await ctx.perform({ type: 'hangup', reason: 'realtime agent failed' });
      }
    } catch (err) {
      ctx.log.error({ err: (err as Error).message }, 'realtime fallback failed');
    }
  }

  private fallback(): AgentCommand[] {
    const f = this.config.fallback ?? {};
    const say: AgentCommand = { type: 'say', text: f.say ?? DEFAULT_FALLBACK, barge_in: false };
    if (f.then === 'transfer' && f.target) return [say, { type: 'transfer', target: f.target, mode: 'cold' }];
    return [say, { type: 'hangup', reason: 'realtime agent failed' }];
  }
}
