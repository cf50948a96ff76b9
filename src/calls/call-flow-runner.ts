import type { ActionEngine } from '../actions/action-engine.js';
import type { PlannedAction } from '../actions/agent-plan.js';
import { parseFailurePolicy } from '../actions/failure-policy.js';
import { toolName } from '../actions/tool-description.js';
import type { CallFlowRunner, CallSession } from './call-session.js';
import type { ActionError } from '../errors.js';

/** Type names of the call-flow action types the `transfer` and `voicemail` agent commands run. */
export const FLOW_TYPES = {
  cold: 'cold-transfer',
  warm: 'warm-transfer',
  voicemail: 'leave-voicemail',
} as const;

/**
 * Runs an agent's `transfer` / `voicemail` command with the registered call-flow action type, as a
 * one-off definition for this call (config validated by the type's schema, templates rendered, the
 * same preconditions and services as an attached action). Outcomes are returned, never thrown.
 */
export class EngineCallFlowRunner implements CallFlowRunner {
  constructor(private readonly engine: ActionEngine) {}

  async transfer(
    call: CallSession,
    target: string,
    options: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const { mode, ...config } = options;
    const type = mode === 'warm' ? FLOW_TYPES.warm : FLOW_TYPES.cold;
    const outcome = await this.run(call, type, { ...config, target });
    if (outcome.ok !== false && outcome.handed_off === true) call.handedOff(outcome);
    return outcome;
  }

  voicemail(call: CallSession, options: Record<string, unknown>): Promise<Record<string, unknown>> {
    return this.run(call, FLOW_TYPES.voicemail, options);
  }

  private async run(
    call: CallSession,
    typeName: string,
    rawConfig: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    if (!this.engine.registry.has(typeName))
      return { ok: false, error: `the ${typeName} action type is not available in this server` };
    try {
      const config = this.engine.registry.validateConfig(typeName, rawConfig, this.engine.templates);
      const now = new Date().toISOString();
      const plan: PlannedAction = {
        attachment: {
          id: `adhoc_${typeName}`,
          agent_id: call.agentRecord.id,
          action_id: `adhoc_${typeName}`,
          stage: 'during',
          position: 0,
          triggers: [],
          failure_policy: {},
          created_at: now,
          updated_at: now,
        },
        definition: {
          id: `adhoc_${typeName}`,
          name: typeName,
          type: typeName,
          description: '',
          config,
          enabled: true,
          created_at: now,
          updated_at: now,
        },
        type: this.engine.registry.get(typeName),
        triggers: [],
        conditions: new Map(),
        policy: parseFailurePolicy({}),
        toolName: toolName(typeName),
      };
      const { outputs } = await this.engine.runner.execOnce(
        {
          plan,
          firedBy: { kind: 'tool', name: typeName },
          scope: call.actions.scope(),
          args: {},
          phase: call.actions.phase,
          callId: call.id,
          agentId: call.agentRecord.id,
          contactId: call.actions.contactId,
          call,
          dryRun: false,
          signal: call.controller.signal,
        },
        1,
      );
      call.recorder.event('flow', { type: typeName, ok: true });
      return { ok: true, ...outputs };
    } catch (err) {
      const e = err as ActionError;
      call.recorder.event('flow', { type: typeName, ok: false, code: e.code ?? 'ERROR' });
      return { ok: false, code: e.code ?? 'ERROR', error: e.message, ...(e.detail ?? {}) };
    }
  }
}
