import Fastify, { type FastifyInstance } from 'fastify';
import { metricsRoutes, type MetricsRouteDeps } from '../api/routes/metrics.js';
import { toApiError } from '../api/validation.js';

/**
 * `/metrics` on a port of its own (`metrics.port` > 0, bound to `metrics.host`): Prometheus can reach
 * it on a network the admin API is not exposed to. Serves that one route, with the same key rule.
 */
export async function startMetricsListener(
  deps: MetricsRouteDeps,
  where: { host: string; port: number },
): Promise<{ url: string; close(): Promise<void> }> {
  const app: FastifyInstance = Fastify({ logger: false });
  app.setErrorHandler((err, _req, reply) => {
    const { status, body } = toApiError(err);
    void reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply
      .code(404)
      .send({ code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}; try /metrics` });
  });
  metricsRoutes(app, deps);
  const address = await app.listen({ host: where.host, port: where.port });
  return { url: address.replace('0.0.0.0', '127.0.0.1'), close: () => app.close() };
}
