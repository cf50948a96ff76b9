import pino from 'pino';
import { attacher } from '../../helpers/attach.js';
import { tempStore, testConfig } from '../../helpers/temp.js';
import { createActionEngine } from '../../../src/actions/action-engine.js';
import type { CallHandle } from '../../../src/actions/action-type.js';
import { createIntegrationServices } from '../../../src/integrations/integration-services.js';
import { createOutboxWorker } from '../../../src/delivery/outbox-service.js';
import type { Stage } from '../../../src/store/store.js';

export const TWILIO_SID = 'AC00000000000000000000000000000001';
export const TWILIO_TOKEN = 'test-auth-token';

/**
 * A store, the engine with the real integration services, and config pointing the providers at
 * local doubles. Loopback is allowed explicitly (the guard refuses it by default).
 */
export async function integrationFixture(overrides: Record<string, unknown> = {}) {
  const t = tempStore();
  const config = testConfig(t.dir, {
    http: { allow_hosts: ['127.0.0.1'], timeout_ms: 3000 },
    api: { public_url: 'https://callwright.example.com' },
    ...overrides,
  });
  const services = createIntegrationServices(config, { store: t.store });
  const engine = createActionEngine({
    store: t.store,
    logger: pino({ level: 'silent' }),
    actions: config.actions,
    outbox: { max_attempts: 3 },
    services: { ...services },
  });
  const agent = await t.store.agents.create({ name: 'support', kind: 'scripted' });
  const attachAction = attacher(t.store, engine, agent.id);
  const attach = async (
    name: string,
    type: string,
    cfg: Record<string, unknown>,
    stage: Stage,
    extra: { triggers?: unknown[]; failure_policy?: Record<string, unknown> } = {},
  ) => (await attachAction(name, type, cfg, stage, extra)).def;
  async function call(from = '+14155550100', extra: Record<string, unknown> = {}) {
    return await t.store.calls.create({
      direction: 'inbound',
      from_number: from,
      to_number: '+14155550199',
      agent_id: agent.id,
      state: 'answered',
      started_at: new Date().toISOString(),
      ...extra,
    });
  }
  let stopWorker: (() => Promise<void>) | undefined;
  function worker(settings: Partial<Record<string, number>> = {}) {
    const w = createOutboxWorker({
      store: t.store,
      logger: pino({ level: 'silent' }),
      handlers: [engine.deliveryHandler()],
      settings: {
        poll_interval_ms: 10,
        lease_ms: 5000,
        max_attempts: 3,
        backoff_base_ms: 5,
        backoff_max_ms: 20,
        concurrency: 4,
        delivery_timeout_ms: 4000,
        ...settings,
      },
    });
    stopWorker = () => w.worker.stop();
    return w;
  }
  return {
    ...t,
    config,
    services,
    engine,
    agent,
    attach,
    call,
    worker,
    async cleanup() {
      await stopWorker?.();
      services.mailer.close();
      await t.cleanup();
    },
  };
}

/** A live call as actions see it: records what it was asked to say. */
export function fakeCall(id: string, sayMs = 30): CallHandle & { said: string[] } {
  const said: string[] = [];
  return {
    id,
    state: 'answered',
    said,
    async say(text) {
      said.push(text);
      await new Promise((r) => setTimeout(r, sayMs));
    },
    async play() {},
    async sendDtmf(digits) {
      return { sent: digits };
    },
    async hangup() {},
  };
}

/** Waits for `check` (which may read the store, asynchronously) to hold. */
export async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The Twilio Messages resource as a double speaks it: 201 with sid/status, errors with code/message. */
export function twilioCreated(sid: string) {
  return { status: 201, body: { sid, status: 'queued', account_sid: TWILIO_SID, api_version: '2010-04-01' } };
}
