import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../app.js';

export async function healthRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get(
    '/health',
    { schema: { tags: ['health'], summary: 'Liveness: the process answers', security: [] } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database and every component can serve',
        security: [],
      },
    },
    async (_req, reply) => {
      const components: Record<string, { ready: boolean; detail?: string }> = {};
      try {
        await deps.store.sql.get('SELECT 1');
        components.database = { ready: true };
      } catch (err) {
        components.database = { ready: false, detail: (err as Error).message };
      }
      for (const [name, probe] of Object.entries(deps.readiness ?? {})) {
        try {
          components[name] = await probe();
        } catch (err) {
          components[name] = { ready: false, detail: (err as Error).message };
        }
      }
      const ready = Object.values(components).every((c) => c.ready);
      reply.code(ready ? 200 : 503);
      return { status: ready ? 'ready' : 'not-ready', components };
    },
  );
}
