import type { ActionEngine } from '../../src/actions/action-engine.js';
import type { Stage, Store } from '../../src/store/store.js';

export interface AttachExtra {
  triggers?: unknown[];
  failure_policy?: Record<string, unknown>;
  enabled?: boolean;
}

/**
 * Attaches actions to one agent in the order they are given: each call creates the definition and
 * its attachment at the next position, with no triggers and the default failure policy unless told.
 */
export function attacher(store: Store, engine: ActionEngine, agentId: string) {
  let position = 0;
  return async (
    name: string,
    type: string,
    config: Record<string, unknown>,
    stage: Stage,
    extra: AttachExtra = {},
  ) => {
    const def = await engine.definitions.create({ name, type, config, enabled: extra.enabled ?? true });
    const att = await store.attachments.create({
      agent_id: agentId,
      action_id: def.id,
      stage,
      position: position++,
      triggers: extra.triggers ?? [],
      failure_policy: extra.failure_policy ?? {},
    });
    return { def, att };
  };
}
