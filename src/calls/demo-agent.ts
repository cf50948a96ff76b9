import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ActionEngine } from '../actions/action-engine.js';
import { importAgent, parseAgentFile } from '../agent/agent-import.js';
import { PROJECT_ROOT } from '../config/load.js';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/store.js';
import { DEMO_AGENT_NAME } from './inbound-router.js';

export const DEMO_AGENT_FILE = path.join(PROJECT_ROOT, 'config', 'agents', 'demo.yaml');

type AgentDoc = {
  agent: { config: { steps: Array<Record<string, unknown>> } };
  actions: Array<{ name: string; type: string; config: Record<string, unknown> }>;
  attachments: Array<{ action: string }>;
};

/** Drops an action the server cannot run (no target, type not registered); its step says so instead. */
function without(doc: AgentDoc, action: string, sentence: string): void {
  doc.actions = doc.actions.filter((a) => a.name !== action);
  doc.attachments = doc.attachments.filter((a) => a.action !== action);
  const steps = doc.agent.config.steps;
  const i = steps.findIndex((s) => (s.action as { name?: string } | undefined)?.name === action);
  if (i >= 0) steps.splice(i, 1, { say: sentence }, { goto: 'bye' });
}

/**
 * Creates the demo agent on first start if absent (an existing "demo" agent is left as the user
 * edited it). Returns true when it was created.
 */
export async function ensureDemoAgent(
  store: Store,
  engine: ActionEngine,
  transferTarget: string,
  logger: Logger,
  file = DEMO_AGENT_FILE,
): Promise<boolean> {
  if (await store.agents.findBy('name', DEMO_AGENT_NAME)) return false;
  const doc = parseAgentFile(readFileSync(file, 'utf8'), file) as AgentDoc;
  for (const a of doc.actions)
    if (a.config.target === '__TRANSFER_TARGET__') a.config.target = transferTarget;
  if (!transferTarget || !engine.registry.has('warm-transfer'))
    without(
      doc,
      'demo_transfer',
      'No transfer target is set up on this server. Set calls dot demo transfer target.',
    );
  if (!engine.registry.has('leave-voicemail'))
    without(doc, 'demo_voicemail', 'Voicemail is not available on this server.');
  await importAgent(store, engine, doc);
  logger.info({ agent: DEMO_AGENT_NAME }, 'demo agent created');
  return true;
}
