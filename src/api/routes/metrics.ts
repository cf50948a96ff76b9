import type { FastifyInstance } from 'fastify';
import type { ApiKeyRepository } from '../../store/repositories/api-keys.js';
import { requireApiKey } from '../auth.js';

/** What the route serves: the server's metrics in Prometheus text format (src/observability/metrics.ts). */
export interface MetricsExposition {
  readonly contentType: string;
  render(): Promise<string>;
}

export interface MetricsRouteDeps {
  metrics: MetricsExposition;
  /** metrics.require_key: ask for an API key like every other admin route. */
  requireKey: boolean;
  keys: ApiKeyRepository;
}

/**
 * `GET /metrics` for Prometheus. Open by default (the families carry no personal data: no numbers,
 * call ids or text as labels), so `isPublicPath` lets it through the API-key guard and the route asks
 * for the key itself when `metrics.require_key` is set. The same route serves the API port and the
 * metrics listener of its own (`metrics.port`).
 */
export function metricsRoutes(app: FastifyInstance, deps: MetricsRouteDeps): void {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (text exposition format); docs/metrics.md lists the families',
        ...(deps.requireKey ? {} : { security: [] }),
      },
    },
    async (req, reply) => {
      if (deps.requireKey) await requireApiKey(req, deps.keys);
      const body = await deps.metrics.render();
      return reply.header('content-type', deps.metrics.contentType).send(body);
    },
  );
}
