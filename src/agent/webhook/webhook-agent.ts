import { deadline } from '../../util/deadline.js';
import { Type, type Static } from '@sinclair/typebox';
import { AgentFallback, checkFallback } from '../agent-fallback.js';
import { CallwrightError } from '../../errors.js';
import { assertValid, check, validationError } from '../../util/validate.js';
import type { Agent, AgentCommand, AgentContext, AgentEvent } from '../agent.js';
import { randomUUID } from 'node:crypto';
import { isWebhookSecret, webhookHeaders } from '../../integrations/webhooks/standard-webhooks.js';

export const WebhookAgentConfig = Type.Object(
  {
    url: Type.String({ format: 'uri', description: 'Receives each event as a signed JSON POST' }),
    secret: Type.String({
      minLength: 8,
      description: 'Standard Webhooks signing secret: whsec_<base64 key>',
    }),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: 30000, description: 'Default 3000' })),
    partial_transcripts: Type.Optional(
      Type.Boolean({
        description:
          'Also POST partial caller lines (final: false) as the recogniser revises them; default false',
      }),
    ),
    fallback: Type.Optional(AgentFallback),
  },
  { additionalProperties: false },
);
export type WebhookAgentConfig = Static<typeof WebhookAgentConfig>;

const Command = Type.Object({ type: Type.String({ minLength: 1 }) }, { additionalProperties: true });
const Reply = Type.Object({ commands: Type.Optional(Type.Array(Command, { maxItems: 50 })) });
const COMMAND_TYPES = new Set([
  'say',
  'play',
  'gather',
  'action',
  'transfer',
  'voicemail',
  'hangup',
  'collect',
  'transcript',
  'dtmf',
]);
const DEFAULT_FALLBACK = 'Sorry, we are having technical difficulties. Please call again later.';

export function parseWebhookConfig(config: unknown, prefix = 'config'): WebhookAgentConfig {
  const value = structuredClone(config ?? {});
  const issues = check(WebhookAgentConfig, value, prefix);
  if (issues.length) {
    throw validationError(issues);
  }
  const c = value as WebhookAgentConfig;
  if (!isWebhookSecret(c.secret))
    throw new CallwrightError(
      'VALIDATION',
      `${prefix}.secret: expected a Standard Webhooks secret whsec_<base64>`,
      [
        {
          field: `${prefix}.secret`,
          value: '[secret]',
          expected: 'whsec_ followed by at least 16 base64 characters',
        },
      ],
    );
  checkFallback(c.fallback, prefix);
  return c;
}

/**
 * Each event is POSTed to the agent's URL, signed the Standard Webhooks way; the JSON reply
 * `{ "commands": [...] }` says what to do. A reply that is slow (past `timeout_ms`), not 2xx or not
 * valid gives the fallback: the configured line, then hang up (or transfer). Events after the call
 * ended are still posted so the receiver learns the outcome, but their replies are ignored.
 */
export class WebhookAgent implements Agent {
  readonly kind = 'webhook';
  private readonly config: WebhookAgentConfig;
  private failed = false;

  constructor(
    config: unknown,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    this.config = parseWebhookConfig(config);
  }

  get hearsPartials(): boolean {
    return this.config.partial_transcripts ?? false;
  }

  async handle(event: AgentEvent, ctx: AgentContext): Promise<AgentCommand[]> {
    if (this.failed) return [];
    const body = JSON.stringify({ call_id: ctx.callId, event, variables: ctx.scope() });
    const timer = deadline(this.config.timeout_ms ?? 3000, ctx.signal);
    try {
      const res = await this.fetchImpl(this.config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...webhookHeaders(this.config.secret, `msg_${randomUUID()}`, Math.floor(Date.now() / 1000), body),
        },
        body,
        signal: timer.signal,
      });
      const text = await res.text();
      if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
      return this.commands(text);
    } catch (err) {
      if (event.type === 'call-event' && event.event === 'ended') return [];
      ctx.log.warn(
        { err: (err as Error).message, event: event.type },
        'agent webhook failed; using the fallback',
      );
      this.failed = true;
      return this.fallback();
    } finally {
      timer.clear();
    }
  }

  private commands(text: string): AgentCommand[] {
    if (!text.trim()) return [];
    const reply = assertValid(Reply, JSON.parse(text), 'reply');
    for (const [i, c] of (reply.commands ?? []).entries()) {
      if (!COMMAND_TYPES.has(c.type))
        throw new Error(
          `reply.commands.${i}.type: got ${JSON.stringify(c.type)}, expected one of ${[...COMMAND_TYPES].join(', ')}`,
        );
    }
    return (reply.commands ?? []) as unknown as AgentCommand[];
  }

  private fallback(): AgentCommand[] {
    const f = this.config.fallback ?? {};
    const say: AgentCommand = { type: 'say', text: f.say ?? DEFAULT_FALLBACK };
    if (f.then === 'transfer' && f.target) return [say, { type: 'transfer', target: f.target, mode: 'cold' }];
    return [say, { type: 'hangup', reason: 'agent webhook failed' }];
  }
}
