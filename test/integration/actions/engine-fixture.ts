import { Type } from '@sinclair/typebox';
import pino from 'pino';
import { attacher } from '../../helpers/attach.js';
import { tempStore } from '../../helpers/temp.js';
import { createActionEngine } from '../../../src/actions/action-engine.js';
import type { CallRecord } from '../../../src/store/store.js';
import { defineActionType, type ActionIntegrations } from '../../../src/actions/action-type.js';
import { ActionError } from '../../../src/errors.js';

/** Test-only types exercising the contract: record what they got, fail on demand, hang. */
export function testTypes(
  log: Array<{ name: string; config: Record<string, unknown>; attempt: number; key: string }>,
) {
  const echo = defineActionType({
    name: 'test-echo',
    title: 'Echo',
    description: 'Returns its rendered config as outputs',
    configSchema: Type.Object({ text: Type.String() }, { additionalProperties: true }),
    stages: ['before', 'during', 'after'],
    argumentSchema: () =>
      Type.Object({ n: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false }),
    async exec(ctx) {
      log.push({
        name: ctx.definition.name,
        config: ctx.config,
        attempt: ctx.attempt,
        key: ctx.idempotencyKey,
      });
      return { ...ctx.config, n: ctx.args.n ?? null };
    },
    simulate: (ctx) => ({ ...ctx.config }),
  });
  const flaky = defineActionType({
    name: 'test-flaky',
    title: 'Flaky',
    description: 'Fails the first `failures` attempts',
    configSchema: Type.Object({
      failures: Type.Integer({ minimum: 0 }),
      permanent: Type.Optional(Type.Boolean()),
    }),
    stages: ['before', 'during', 'after'],
    async exec(ctx) {
      log.push({
        name: ctx.definition.name,
        config: ctx.config,
        attempt: ctx.attempt,
        key: ctx.idempotencyKey,
      });
      if (ctx.attempt <= ctx.config.failures) {
        throw new ActionError('UPSTREAM', `attempt ${ctx.attempt} failed`, !ctx.config.permanent);
      }
      return { attempt: ctx.attempt };
    },
  });
  const hang = defineActionType({
    name: 'test-hang',
    title: 'Hang',
    description: 'Never finishes unless killed',
    configSchema: Type.Object({}),
    stages: ['before', 'during'],
    exec: (ctx) =>
      new Promise((_resolve, reject) => {
        log.push({ name: ctx.definition.name, config: {}, attempt: ctx.attempt, key: ctx.idempotencyKey });
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
      }),
    kill(ctx) {
      ctx.state.set('killed', true);
      log.push({
        name: `${ctx.definition.name}:killed`,
        config: {},
        attempt: ctx.attempt,
        key: ctx.idempotencyKey,
      });
    },
  });
  return [echo, flaky, hang];
}

export async function engineFixture(
  options: { beforeBudgetMs?: number; fallback?: string; services?: ActionIntegrations } = {},
) {
  const t = tempStore();
  const log: Array<{ name: string; config: Record<string, unknown>; attempt: number; key: string }> = [];
  const engine = createActionEngine({
    store: t.store,
    logger: pino({ level: 'silent' }),
    types: testTypes(log),
    actions: {
      before_budget_ms: options.beforeBudgetMs ?? 2000,
      fallback_disposition: options.fallback ?? 'no-disposition',
    },
    outbox: { max_attempts: 3 },
    ...(options.services ? { services: options.services } : {}),
  });
  const agent = await t.store.agents.create({ name: 'sales', kind: 'scripted' });
  const attach = attacher(t.store, engine, agent.id);
  async function call(from = '+14155550100', contactId?: string): Promise<CallRecord> {
    return t.store.calls.create({
      direction: 'inbound',
      from_number: from,
      to_number: '+14155550199',
      agent_id: agent.id,
      contact_id: contactId ?? null,
      started_at: new Date().toISOString(),
    });
  }
  return { ...t, engine, registry: engine.registry, agent, attach, call, log };
}
