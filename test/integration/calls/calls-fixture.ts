import pino from 'pino';
import { parse } from 'yaml';
import { tempStore, testConfig } from '../../helpers/temp.js';
import { FakeTelephony } from '../../helpers/fake-port.js';
import { createActionEngine } from '../../../src/actions/action-engine.js';
import { CallManager } from '../../../src/calls/call-manager.js';
import { callFlowActionTypes } from '../../../src/calls/flow-actions/call-flow-types.js';
import { callFlowSettings } from '../../../src/calls/targets/call-flow-settings.js';
import type { CallsSettings } from '../../../src/calls/calls-config.js';
import type { AdmissionControl } from '../../../src/calls/admission.js';
import type { Stage } from '../../../src/store/store.js';
import { testTypes } from '../actions/engine-fixture.js';
import type { Tracing } from '../../../src/observability/tracing.js';
import type { RecordingServices } from '../../../src/calls/recording/recording-services.js';

export const SETTINGS: CallsSettings = {
  default_agent: '',
  demo_agent: false,
  demo_transfer_target: '',
  default_timezone: 'UTC',
  calling_hours: { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '23:59' },
  voicemail_silence_threshold_dbfs: -45,
  drain_timeout_ms: 200,
  drain_window_s: 3600,
};

/**
 * A real store and engine, the fake telephony port, and a CallManager over them. `options.trunks` are
 * the names in sip.trunks (default one, `carrier`); `durableVoicemailEmail` sends voicemail mail through
 * the outbox.
 */
export function callsFixture(
  settings: Partial<CallsSettings> = {},
  now?: () => Date,
  options: {
    trunks?: readonly string[];
    durableVoicemailEmail?: boolean;
    tracing?: Tracing;
    admission?: AdmissionControl;
    /** Whole-call recording services (built over the fixture's store). */
    recording?: (store: ReturnType<typeof tempStore>['store'], dir: string) => RecordingServices;
  } = {},
) {
  const t = tempStore();
  const log: Array<{ name: string; config: Record<string, unknown> }> = [];
  const trunks = options.trunks ?? ['carrier'];
  const flows = { durableVoicemailEmail: options.durableVoicemailEmail ?? false };
  const telephony = new FakeTelephony({ playMs: 5, nextDial: 'answered' });
  const holder: { manager?: CallManager } = {};
  // The call layer's own types, as CallRuntime builds them: their sink is the manager (built below).
  const flowTypes = callFlowActionTypes({
    settings: callFlowSettings(testConfig(t.dir), flows),
    telephony,
    sink: {
      emit: (id, e) => holder.manager?.emit(id, e),
      outcome: (id, runId, o) => holder.manager?.outcome(id, runId, o),
      recording: (id, active) => holder.manager?.recording(id, active),
      pauseRecording: (id, paused, by) => holder.manager?.pauseRecording(id, paused, by),
      settled: async (id) => holder.manager?.settled(id),
    },
  });
  const recording = options.recording?.(t.store, t.dir);
  const engine = createActionEngine({
    store: t.store,
    logger: pino({ level: 'silent' }),
    types: [...testTypes(log as never), ...flowTypes],
    actions: { before_budget_ms: 1000, fallback_disposition: 'no-disposition' },
    outbox: { max_attempts: 3 },
    ...(options.tracing ? { services: { tracing: options.tracing } } : {}),
  });
  const manager = new CallManager({
    store: t.store,
    engine,
    telephony,
    settings: { ...SETTINGS, ...settings },
    trunks,
    logger: pino({ level: 'silent' }),
    ...(now ? { now } : {}),
    ...(options.tracing ? { tracing: options.tracing, backend: 'fake' } : {}),
    ...(options.admission ? { admission: options.admission } : {}),
    ...(recording ? { recording } : {}),
  });
  holder.manager = manager;
  telephony.onInbound(manager.handleInbound);

  async function agent(name: string, yamlConfig: string, kind: 'scripted' | 'webhook' = 'scripted') {
    return await t.store.agents.create({ name, kind, config: parse(yamlConfig) as Record<string, unknown> });
  }
  let position = 0;
  async function attach(
    agentId: string,
    name: string,
    type: string,
    config: Record<string, unknown>,
    stage: Stage,
    triggers: unknown[] = [],
  ) {
    const def = await engine.definitions.create({ name, type, config, enabled: true });
    await t.store.attachments.create({
      agent_id: agentId,
      action_id: def.id,
      stage,
      position: position++,
      triggers,
      failure_policy: {},
    });
    return def;
  }
  async function events(callId: string) {
    return (await t.store.callEvents.list(callId, { limit: 500 })).items;
  }
  function runs(callId: string) {
    return t.store.db
      .prepare(
        'SELECT action_type, stage, status FROM action_runs WHERE call_id = ? ORDER BY started_at, rowid',
      )
      .all(callId) as Array<{ action_type: string; stage: string; status: string }>;
  }
  return { ...t, engine, telephony, manager, agent, attach, events, runs, log, recording };
}

/** Polls `check` (which may read the store) until it holds; fails after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
