/**
 * The action engine as the server composes it (the one factory, with the call layer's call-flow types),
 * for tests that need an engine but no live telephony: the API harness and API-level tests.
 */
import pino from 'pino';
import { createActionEngine, type ActionEngine } from '../../src/actions/action-engine.js';
import type { Config } from '../../src/config/schema.js';
import type { Logger } from '../../src/logging/logger.js';
import { callFlowActionTypes } from '../../src/calls/flow-actions/call-flow-types.js';
import { callFlowSettings } from '../../src/calls/targets/call-flow-settings.js';
import type { Store } from '../../src/store/store.js';

export function testActionEngine(store: Store, config: Config, logger?: Logger): ActionEngine {
  return createActionEngine({
    store,
    logger: logger ?? pino({ level: 'silent' }),
    actions: config.actions,
    outbox: config.outbox,
    types: callFlowActionTypes({ settings: callFlowSettings(config) }),
  });
}
