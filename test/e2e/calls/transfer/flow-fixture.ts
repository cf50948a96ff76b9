/**
 * A call-flow rig on the real embedded backend: SIP on 127.0.0.1 (port 0), RTP on the test file's port
 * block, espeak speech, a SQLite store, and the action engine with the call-flow services. The call
 * session of the call-flows issue is not used here: each answered inbound leg gets a small handle and an
 * ActionSession that receives the leg's DTMF, which is how the session feeds the engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { ActionEngine } from '../../../../src/actions/action-engine.js';
import type { ActionSession, StageResult } from '../../../../src/actions/action-session.js';
import type { CallHandle } from '../../../../src/actions/action-type.js';
import type { CallEvent } from '../../../../src/actions/triggers/trigger.js';
import { callFlowSettings } from '../../../../src/calls/targets/call-flow-settings.js';
import type { Config } from '../../../../src/config/schema.js';
import { createSpeechSynthesizer } from '../../../../src/speech/index.js';
import type { Stage } from '../../../../src/store/store.js';
import { Store } from '../../../../src/store/store.js';
import type { EmbeddedTelephony } from '../../../../src/telephony/embedded/embedded-telephony.js';
import type { MediaEngine } from '../../../../src/telephony/embedded/media/media-session.js';
import type { CallLeg } from '../../../../src/telephony/port.js';
import { attacher } from '../../../helpers/attach.js';
import { configWith, startEmbeddedBackend } from '../../../helpers/embedded-backend.js';
import { loopbackLayer } from '../../telephony/embedded-fixture.js';

export interface LiveCall {
  leg: CallLeg;
  callId: string;
  session: ActionSession;
  /** Results of the work each DTMF digit triggered, in order. */
  results: Array<Promise<StageResult>>;
}

export interface FlowRig {
  config: Config;
  store: Store;
  engine: ActionEngine;
  telephony: EmbeddedTelephony;
  media: MediaEngine;
  dir: string;
  /** `127.0.0.1:port` of the server's SIP listener. */
  target: string;
  agentId: string;
  calls: LiveCall[];
  /** Gives a leg (an outbound call the test placed) a call row and an action session. */
  adopt(leg: CallLeg): LiveCall;
  /** Resolves with the next answered inbound call. */
  nextCall(timeoutMs?: number): Promise<LiveCall>;
  attach(
    name: string,
    type: string,
    config: Record<string, unknown>,
    triggers?: unknown[],
    stage?: Stage,
  ): void;
  stop(): Promise<void>;
}

function handleFor(id: string, leg: CallLeg): CallHandle {
  return {
    id,
    leg,
    get state() {
      return leg.active ? ('answered' as const) : ('ended' as const);
    },
    say: async (text) => void (await leg.play({ kind: 'speech', text })),
    play: async (file) => void (await leg.play({ kind: 'file', path: file })),
    sendDtmf: async (digits) => (await leg.sendDtmf(digits), { sent: digits }),
    transfer: async () => ({}),
    hangup: async () => leg.hangup(),
  };
}

/** Port plan: RTP on `base+100` .. `base+499`; peers use `base` .. `base+99`. */
export async function startFlowRig(base: number, overrides: Record<string, unknown> = {}): Promise<FlowRig> {
  const dir = mkdtempSync(path.join(tmpdir(), 'callwright-flows-'));
  const config = configWith({ data: { dir } }, loopbackLayer(base), overrides);
  const speech = createSpeechSynthesizer(config.speech, dir);
  const backend = await startEmbeddedBackend(config, speech);
  const { telephony, media } = backend;
  const store = Store.open(path.join(dir, 'test.db'));
  const calls: LiveCall[] = [];
  const waiters: Array<(c: LiveCall) => void> = [];
  const byCall = new Map<string, ActionSession>();
  const engine = new ActionEngine({
    store,
    logger: pino({ level: 'silent' }),
    actions: { before_budget_ms: 2000, fallback_disposition: 'no-disposition' },
    outbox: { max_attempts: 3 },
    services: {
      telephony,
      callFlows: callFlowSettings(config, { durableVoicemailEmail: true }),
      callEvents: { emit: (callId: string, e: CallEvent) => void byCall.get(callId)?.handleEvent(e) },
    },
  });
  const agent = store.agents.create({ name: 'flows', kind: 'scripted' });
  const attachAction = attacher(store, engine, agent.id);
  function adopt(leg: CallLeg): LiveCall {
    const row = store.calls.create({
      direction: leg.info.direction,
      from_number: leg.info.from.user,
      to_number: leg.info.to.user,
      agent_id: agent.id,
      state: 'answered',
      started_at: new Date().toISOString(),
    });
    const session = engine.session({
      agentId: agent.id,
      callId: row.id,
      direction: leg.info.direction,
      from: leg.info.from.user,
      to: leg.info.to.user,
      call: handleFor(row.id, leg),
    });
    session.phase = 'answered';
    byCall.set(row.id, session);
    const live: LiveCall = { leg, callId: row.id, session, results: [] };
    leg.on('dtmf', (d) => live.results.push(session.handleEvent({ type: 'dtmf', digits: d.digit })));
    calls.push(live);
    return live;
  }
  telephony.onInbound(async (inbound) => {
    const live = adopt(await inbound.answer());
    waiters.splice(0).forEach((w) => w(live));
  });
  return {
    config,
    store,
    engine,
    telephony,
    media,
    dir,
    target: `127.0.0.1:${telephony.port}`,
    agentId: agent.id,
    calls,
    adopt,
    nextCall(timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no inbound call answered in time')), timeoutMs);
        waiters.push((c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
    },
    attach(name, type, cfg, triggers = [], stage = 'during') {
      attachAction(name, type, cfg, stage, { triggers });
    },
    async stop() {
      await backend.stop();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
