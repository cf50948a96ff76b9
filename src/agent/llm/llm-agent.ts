import type { LlmSettings } from '../../config/schema.js';
import type { ChatMessage, ToolCall } from '../../integrations/llm/chat-client.js';
import { LlmError } from '../../integrations/llm/chat-client.js';
import { OpenAiStreamingChatClient, type StreamingChatClient } from '../../integrations/llm/chat-stream.js';
import { CallwrightError } from '../../errors.js';
import type { ActionFiller, Agent, AgentCommand, AgentContext, AgentEvent } from '../agent.js';
import { agentToolbox, type AgentToolbox, type ToolRunOptions } from '../tools/agent-tools.js';
import { parseLlmAgentConfig, type LlmAgentConfig } from './llm-config.js';
import { TextQueue } from './text-queue.js';

const DEFAULTS = {
  temperature: 0.4,
  maxTokens: 400,
  requestTimeoutMs: 10_000,
  idleAfterMs: 8000,
  maxReprompts: 2,
  reprompt: 'Are you still there?',
  idleGoodbye: "I haven't heard anything, so I'll end the call now. Goodbye.",
  idleDisposition: 'no-response',
  maxCallS: 1800,
  maxCallGoodbye: 'We have reached the time limit for this call. Thank you for calling, goodbye.',
  maxToolCalls: 5,
  maxHistory: 60,
  fallback: 'Sorry, I am having technical difficulties. Please call again later.',
  fillers: {
    start: ['One moment, please.', 'Let me check that for you.', 'Just a second.'],
    slow: ['Thanks for waiting, this is taking a little longer than usual.'],
    failed: ["Hmm, that didn't work."],
  },
} as const;

/** What the agent needs besides its config: the server's LLM settings and, in tests, a client. */
export interface LlmAgentDeps {
  llm?: LlmSettings;
  fetch?: typeof fetch;
  env?: NodeJS.ProcessEnv;
  /** A ready client (tests, benchmarks); otherwise one is built from the config and `llm`. */
  client?: StreamingChatClient;
}

/**
 * The LLM conversational agent: an OpenAI-compatible chat model with streaming and tool calling. Each
 * caller line starts a turn: the model's tokens are spoken sentence by sentence as they arrive, its
 * tool calls run the agent's attached actions (and built-ins: end the call, transfer, voicemail, keys,
 * collect values) with filler lines while they run, and their results go back to the model, which
 * answers again. The history keeps what the caller heard: a reply cut by barge-in is stored cut, and
 * tool calls it carried are dropped (never run).
 */
export class LlmAgent implements Agent {
  readonly kind = 'llm';
  readonly drivesTurns = true;
  readonly idleAfterMs: number | undefined;
  readonly maxCallMs: number;
  private readonly config: LlmAgentConfig;
  private readonly client: StreamingChatClient;
  private history: ChatMessage[] = [];
  private toolbox: AgentToolbox | undefined;
  private over = false;
  private fillerTurn = 0;

  constructor(config: unknown, deps: LlmAgentDeps = {}) {
    this.config = parseLlmAgentConfig(config);
    const c = this.config;
    const idle = c.idle ?? {};
    this.idleAfterMs = idle.enabled === false ? undefined : (idle.after_ms ?? DEFAULTS.idleAfterMs);
    this.maxCallMs = (c.max_call_s ?? DEFAULTS.maxCallS) * 1000;
    this.client = deps.client ?? buildClient(c, deps);
  }

  async handle(event: AgentEvent, ctx: AgentContext): Promise<AgentCommand[]> {
    if (this.over) return [];
    switch (event.type) {
      case 'call-started':
        await this.start(ctx);
        return [];
      case 'transcript':
        if (event.speaker !== 'caller' || !event.final || !event.text.trim()) return [];
        this.history.push({ role: 'user', content: event.text });
        await this.turn(ctx);
        return [];
      case 'dtmf':
        this.history.push({ role: 'user', content: `[The caller pressed the key ${event.digit}]` });
        await this.turn(ctx);
        return [];
      case 'idle':
        await this.idle(event.count, ctx);
        return [];
      case 'action-result':
        if (event.background && !event.pending) {
          this.history.push({
            role: 'system',
            content: `The background tool call ${event.ref ?? ''} (${event.action}) has finished: ${JSON.stringify(
              event.ok ? { ok: true, outputs: event.outputs ?? {} } : { ok: false, error: event.error },
            )}. Tell the caller what matters to them now.`,
          });
          await this.turn(ctx);
        }
        return [];
      case 'call-event':
        if (event.event === 'ended') this.over = true;
        else if (event.event === 'max-duration')
          await this.close(ctx, DEFAULTS.maxCallGoodbye, 'max-duration');
        return [];
      default:
        return [];
    }
  }

  private async start(ctx: AgentContext): Promise<void> {
    const c = this.config;
    this.toolbox = agentToolbox(ctx, c.builtins ? { builtins: c.builtins } : {});
    this.history = [{ role: 'system', content: ctx.render(c.system_prompt, 'agent.config.system_prompt') }];
    if (c.first_message) {
      const text = ctx.render(c.first_message, 'agent.config.first_message');
      const spoken = await ctx.perform({ type: 'say-stream', text: once(text) });
      const heard = spoken?.type === 'spoken' ? spoken.heard : text;
      if (heard) this.history.push({ role: 'assistant', content: heard });
      return;
    }
    await this.turn(ctx);
  }

  /** One turn: the model answers (speaking as it writes), tools run, the model answers again, … */
  private async turn(ctx: AgentContext): Promise<void> {
    const max = this.config.max_tool_calls_per_turn ?? DEFAULTS.maxToolCalls;
    let toolCalls = 0;
    this.fillerTurn = 0;
    // Once past the limit the model is told to answer; it gets one more reply to do so.
    let told = false;
    while (!this.over) {
      const reply = await this.respond(ctx);
      if (!reply) return;
      if (!reply.calls.length) return;
      for (const call of reply.calls) {
        if (this.over) return;
        toolCalls += 1;
        const started = Date.now();
        const outcome =
          toolCalls > max
            ? {
                output: {
                  ok: false,
                  error: {
                    code: 'TOO_MANY_TOOL_CALLS',
                    message: `at most ${max} tool calls per turn; answer the caller now`,
                  },
                },
                ended: false,
              }
            : await this.toolbox!.run(call, this.runOptions(call.name, reply.spoke));
        ctx.log.info(
          { tool: call.name, ms: Date.now() - started, ok: outcome.output.ok !== false },
          'model tool call',
        );
        ctx.record('decision', {
          tool: call.name,
          arguments: safeJson(call.arguments),
          ms: Date.now() - started,
          result: outcome.output,
        });
        this.history.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(outcome.output) });
        if (outcome.ended) {
          this.over = true;
          return;
        }
      }
      if (toolCalls > max) {
        if (told) return;
        told = true;
      }
    }
  }

  /** Filler lines for one tool call: none for built-ins, none at the start when the model just spoke. */
  private runOptions(name: string, spoke: boolean): ToolRunOptions {
    if (!this.toolbox?.isAction(name)) return {};
    const own = this.config.tools?.[name];
    const background = own?.background ? { background: true } : {};
    const defaults = this.config.fillers ?? {};
    if (own?.filler === false || defaults.enabled === false) return background;
    const pick = (lines: readonly string[]): string => lines[this.fillerTurn++ % lines.length] as string;
    const filler: ActionFiller = {
      ...(spoke ? {} : { start: pick(defaults.start ?? DEFAULTS.fillers.start) }),
      slow: pick(defaults.slow ?? DEFAULTS.fillers.slow),
      failed: pick(defaults.failed ?? DEFAULTS.fillers.failed),
      ...(defaults.slow_after_ms ? { slow_after_ms: defaults.slow_after_ms } : {}),
      ...(own?.filler ?? {}),
    };
    return { filler, ...background };
  }

  /**
   * One model request: content is spoken as it streams; tool calls are collected. Returns undefined when
   * the turn must stop (the caller interrupted, the call ended, the model failed and the fallback ran).
   */
  private async respond(ctx: AgentContext): Promise<{ calls: ToolCall[]; spoke: boolean } | undefined> {
    const c = this.config;
    const abort = new AbortController();
    const signal = AbortSignal.any([abort.signal, ctx.signal]);
    const text = new TextQueue();
    const calls: ToolCall[] = [];
    let written = '';
    let failure: unknown;
    let marked = false;
    this.trimHistory();
    const pump = (async () => {
      try {
        for await (const e of this.client.stream({
          messages: this.history,
          tools: this.toolbox?.descriptions() ?? [],
          ...(c.model ? { model: c.model } : {}),
          temperature: c.temperature ?? DEFAULTS.temperature,
          maxTokens: c.max_tokens ?? DEFAULTS.maxTokens,
          signal,
        })) {
          if (e.type === 'content') {
            if (!e.text) continue;
            if (!marked) {
              marked = true;
              ctx.mark('first_token');
            }
            written += e.text;
            text.push(e.text);
          } else if (e.type === 'tool-call') {
            if (!marked) {
              marked = true;
              ctx.mark('first_token');
            }
            calls.push(e.call);
          }
        }
      } catch (err) {
        if (!signal.aborted) failure = err;
      } finally {
        text.end();
      }
    })();
    let heard = '';
    let interrupted = false;
    if (await text.hasText()) {
      const spoken = await ctx.perform({ type: 'say-stream', text });
      if (spoken?.type === 'spoken') {
        heard = spoken.heard;
        interrupted = spoken.interrupted !== undefined;
      } else interrupted = true;
    }
    if (interrupted) abort.abort(new Error('the caller interrupted'));
    await pump;
    if (failure && !interrupted) {
      // What was said before the failure stays in the history; then the fallback.
      if (heard) this.history.push({ role: 'assistant', content: heard });
      await this.fail(ctx, failure);
      return undefined;
    }
    if (interrupted) {
      // The caller heard only part of it: keep that; tool calls it carried never ran.
      if (heard) this.history.push({ role: 'assistant', content: heard });
      return undefined;
    }
    const spokenText = heard || written.trim();
    // A silent reply (a model listening to a phone menu, say) leaves no message: an assistant message
    // needs content unless it has tool calls (OpenAI's chat-completions API requires one of the two).
    if (!spokenText && !calls.length) return { calls, spoke: false };
    this.history.push({
      role: 'assistant',
      content: spokenText || null,
      ...(calls.length
        ? {
            tool_calls: calls.map((t) => ({
              id: t.id,
              type: 'function' as const,
              function: { name: t.name, arguments: t.arguments },
            })),
          }
        : {}),
    });
    return { calls, spoke: !!spokenText };
  }

  private async idle(count: number, ctx: AgentContext): Promise<void> {
    const idle = this.config.idle ?? {};
    if (count > (idle.max_reprompts ?? DEFAULTS.maxReprompts)) {
      await this.close(
        ctx,
        idle.goodbye ?? DEFAULTS.idleGoodbye,
        idle.disposition ?? DEFAULTS.idleDisposition,
      );
      return;
    }
    const line = idle.reprompt ?? DEFAULTS.reprompt;
    const spoken = await ctx.perform({ type: 'say-stream', text: once(line) });
    const heard = spoken?.type === 'spoken' ? spoken.heard : '';
    if (heard) this.history.push({ role: 'assistant', content: heard });
  }

  private async close(ctx: AgentContext, goodbye: string, disposition: string): Promise<void> {
    this.over = true;
    await ctx.perform({ type: 'hangup', say: goodbye, reason: disposition, disposition });
  }

  /** The model failed (after the client's own retry): the fallback line, then hang up or transfer. */
  private async fail(ctx: AgentContext, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    ctx.log.error(
      { err: message, ...(err instanceof LlmError ? { code: err.code, status: err.status } : {}) },
      'the LLM failed; using the fallback',
    );
    ctx.record('agent-error', {
      message,
      ...(err instanceof LlmError ? { code: err.code, ...(err.status ? { status: err.status } : {}) } : {}),
    });
    const f = this.config.fallback ?? {};
    this.over = true;
    if (f.then === 'transfer' && f.target) {
      await ctx.perform({ type: 'say', text: f.say ?? DEFAULTS.fallback, barge_in: false });
      await ctx.perform({ type: 'transfer', target: f.target, mode: 'cold' });
      return;
    }
    await ctx.perform({ type: 'hangup', say: f.say ?? DEFAULTS.fallback, reason: 'agent model failed' });
  }

  /**
   * Keeps the system prompt and the latest messages; the cut falls before a user message so that no
   * tool result is left without the assistant message that called it.
   */
  private trimHistory(): void {
    const max = this.config.max_history_messages ?? DEFAULTS.maxHistory;
    const [system, ...rest] = this.history;
    if (!system || rest.length <= max) return;
    let start = rest.length - max;
    while (start < rest.length && rest[start]?.role !== 'user') start++;
    this.history = [system, ...rest.slice(start)];
  }

  /** The conversation as the model sees it (for tests and the simulated caller). */
  messages(): readonly ChatMessage[] {
    return this.history;
  }
}

async function* once(text: string): AsyncGenerator<string> {
  yield text;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** OpenAI's API, used when neither the agent nor the server names a base URL. */
const OPENAI_BASE_URL = 'https://api.openai.com/v1';

function buildClient(c: LlmAgentConfig, deps: LlmAgentDeps): StreamingChatClient {
  const server = deps.llm;
  const env = deps.env ?? process.env;
  const baseUrl = c.base_url ?? (server?.base_url || OPENAI_BASE_URL);
  const model = c.model ?? server?.model ?? '';
  if (!model)
    throw new CallwrightError('VALIDATION', 'config.model: missing, and the server has no llm.model', [
      { field: 'config.model', expected: 'a model name such as gpt-4o-mini' },
    ]);
  // The agent's own variable, else the server's key, else OpenAI's usual variable.
  let apiKey = server?.api_key || env.OPENAI_API_KEY || '';
  if (c.api_key_env) {
    const value = env[c.api_key_env];
    if (!value)
      throw new CallwrightError(
        'CONFIG_INVALID',
        `config.api_key_env: the variable ${c.api_key_env} is not set`,
        [
          {
            field: 'config.api_key_env',
            value: c.api_key_env,
            expected: 'an environment variable holding the key',
          },
        ],
      );
    apiKey = value;
  }
  return new OpenAiStreamingChatClient(
    {
      base_url: baseUrl,
      api_key: apiKey,
      model,
      timeout_ms: c.request_timeout_ms ?? DEFAULTS.requestTimeoutMs,
      temperature: c.temperature ?? DEFAULTS.temperature,
      max_tokens: c.max_tokens ?? DEFAULTS.maxTokens,
      ...(c.azure_api_version ? { azure_api_version: c.azure_api_version } : {}),
    },
    deps.fetch ? { fetchFn: deps.fetch } : {},
  );
}
