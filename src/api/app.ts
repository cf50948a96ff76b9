import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { CallForwarding } from '../cluster/call-forwarding.js';
import { clusterForwarding } from './cluster-forwarding.js';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from '../logging/logger.js';
import type { Store } from '../store/store.js';
import type { Config } from '../config/schema.js';
import type { ActionEngine } from '../actions/action-engine.js';
import { apiKeyGuard } from './auth.js';
import { toApiError, validatorCompiler } from './validation.js';
import { healthRoutes } from './routes/health.js';
import { registerResourceRoutes } from './routes/index.js';
import { metricsRoutes, type MetricsExposition } from './routes/metrics.js';
import { sessionRoutes } from './routes/session.js';
import { dashboardRoutes } from './routes/dashboard.js';

export type ReadinessProbe = () =>
  Promise<{ ready: boolean; detail?: string }> | { ready: boolean; detail?: string };

/** Everything the API needs, passed in: no globals. */
export interface ApiDeps {
  store: Store;
  config: Config;
  logger?: Logger;
  /** Named readiness checks for components other than the database (telephony, media servers, …). */
  readiness?: Record<string, ReadinessProbe>;
  /**
   * The server's action engine (createActionEngine / createActionRuntime), so the API validates and
   * simulates with the same registry and services as calls do.
   */
  actionEngine: ActionEngine;
  /** Served at `GET /metrics` on this port (absent: metrics off, or on a listener of their own). */
  metrics?: MetricsExposition;
  /** Several nodes on one store: requests about another node's live call, and calls out, go to that node. */
  cluster?: CallForwarding;
}

/** Builds the admin API without listening; tests use `app.inject`, `start` calls `listen`. */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger?.child({ component: 'api' }) as FastifyBaseLogger | undefined,
    bodyLimit: 5 * 1024 * 1024,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = toApiError(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .code(404)
      .send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });

  if (deps.config.api.docs) {
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'Callwright admin API',
          version: '0.1.0',
          description:
            'Agents, actions, contacts, calls and their history. Send the API key as Authorization: Bearer <key>.',
        },
        components: {
          securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
        },
        security: [{ apiKey: [] }],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }

  app.addHook('onRequest', apiKeyGuard(deps.store));
  if (deps.cluster) clusterForwarding(app, { store: deps.store, cluster: deps.cluster });
  await app.register(async (scope) => healthRoutes(scope, deps));
  const { metrics } = deps;
  if (metrics) {
    await app.register(async (scope) =>
      metricsRoutes(scope, {
        metrics,
        requireKey: deps.config.metrics.require_key,
        keys: deps.store.apiKeys,
      }),
    );
  }
  await app.register(async (scope) => sessionRoutes(scope, deps));
  if (deps.config.api.dashboard) await app.register(async (scope) => dashboardRoutes(scope));
  await app.register(async (scope) => registerResourceRoutes(scope, deps));
  return app;
}
