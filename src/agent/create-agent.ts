import type { LlmSettings } from '../config/schema.js';
import type { AgentRecord } from '../store/store.js';
import { CallwrightError } from '../errors.js';
import type { Agent } from './agent.js';
import { ScriptedAgent } from './scripted/scripted-agent.js';
import { parseScript } from './scripted/script-schema.js';
import { WebhookAgent, parseWebhookConfig } from './webhook/webhook-agent.js';
import { LlmAgent, type LlmAgentDeps } from './llm/llm-agent.js';
import { parseLlmAgentConfig } from './llm/llm-config.js';
import { RealtimeAgent } from './realtime/realtime-agent.js';
import { parseRealtimeConfig } from './realtime/realtime-config.js';

/** What agents may need from the server besides their own record. */
export interface AgentDeps {
  fetch?: typeof fetch;
  /** The server's `llm` settings: the defaults of `llm` agents (base URL, key, model). */
  llm?: LlmSettings;
  /** Builds the chat client of `llm` agents (tests and benchmarks); default OpenAI-compatible HTTP. */
  llmClient?: LlmAgentDeps['client'];
}

const KINDS = 'scripted, webhook, llm or realtime';

/** The agent for one call, from its stored record. */
export function createAgent(record: Pick<AgentRecord, 'kind' | 'config'>, deps: AgentDeps = {}): Agent {
  if (record.kind === 'scripted') return new ScriptedAgent(record.config);
  if (record.kind === 'webhook') return new WebhookAgent(record.config, deps.fetch);
  if (record.kind === 'llm')
    return new LlmAgent(record.config, {
      ...(deps.llm ? { llm: deps.llm } : {}),
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      ...(deps.llmClient ? { client: deps.llmClient } : {}),
    });
  if (record.kind === 'realtime') return new RealtimeAgent(record.config);
  throw new CallwrightError('VALIDATION', `kind: got ${JSON.stringify(record.kind)}, expected ${KINDS}`, [
    { field: 'kind', value: record.kind, expected: KINDS },
  ]);
}

/** Validates an agent's config for its kind (on import and before a call starts); throws naming the field. */
export function validateAgentConfig(kind: string, config: unknown, prefix = 'agent.config'): void {
  if (kind === 'scripted') parseScript(config, prefix);
  else if (kind === 'webhook') parseWebhookConfig(config, prefix);
  else if (kind === 'llm') parseLlmAgentConfig(config, prefix);
  else if (kind === 'realtime') parseRealtimeConfig(config, prefix);
}
