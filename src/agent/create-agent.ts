import type { AgentRecord } from '../store/store.js';
import { CallwrightError } from '../errors.js';
import type { Agent } from './agent.js';
import { ScriptedAgent } from './scripted/scripted-agent.js';
import { parseScript } from './scripted/script-schema.js';
import { WebhookAgent, parseWebhookConfig } from './webhook/webhook-agent.js';

/** The agent for one call, from its stored record. */
export function createAgent(record: Pick<AgentRecord, 'kind' | 'config'>, fetchImpl?: typeof fetch): Agent {
  if (record.kind === 'scripted') return new ScriptedAgent(record.config);
  if (record.kind === 'webhook') return new WebhookAgent(record.config, fetchImpl);
  throw new CallwrightError(
    'VALIDATION',
    `kind: got ${JSON.stringify(record.kind)}, expected scripted or webhook`,
  );
}

/** Validates an agent's config for its kind (on import and before a call starts); throws naming the field. */
export function validateAgentConfig(kind: string, config: unknown, prefix = 'agent.config'): void {
  if (kind === 'scripted') parseScript(config, prefix);
  else if (kind === 'webhook') parseWebhookConfig(config, prefix);
}
