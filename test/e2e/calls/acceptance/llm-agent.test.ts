/**
 * Acceptance on the embedded backend: the llm agent flow (llm-agent-flow.ts). Port block: 31000-31499.
 */
import { embeddedBackend } from './acceptance-server.js';
import { llmAgentFlow } from './llm-agent-flow.js';

llmAgentFlow({ base: 31000, label: 'embedded', backend: () => embeddedBackend });
