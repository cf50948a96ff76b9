import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store/store.js';
import type { CallForwarding } from '../cluster/call-forwarding.js';

/** Requests about one live call, answered by the node that holds it (its media, its SIP dialog). */
const LIVE_CALL_ROUTES = new Set([
  'POST /calls/:id/hangup',
  'POST /calls/:id/transfer',
  'POST /calls/:id/transcript',
  'GET /calls/:id/live',
]);

/**
 * With several nodes on one store (docs/scaling.md): a request about a live call held by another node is
 * replayed there, and a call out is placed on the node with the most free capacity. Runs after the API key
 * check and the body's validation, so only well-formed requests from a valid caller travel.
 */
export function clusterForwarding(
  app: FastifyInstance,
  deps: { store: Store; cluster: CallForwarding },
): void {
  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    const route = `${req.method} ${req.routeOptions.url ?? ''}`;
    if (LIVE_CALL_ROUTES.has(route)) {
      const id = (req.params as { id?: string }).id;
      const call = id ? await deps.store.calls.get(id) : undefined;
      if (!call) return;
      const owner = await deps.cluster.ownerOf(req, call);
      if (owner) return deps.cluster.forward(req, reply, owner);
    } else if (route === 'POST /calls') {
      const node = await deps.cluster.placement(req);
      if (node) return deps.cluster.forward(req, reply, node);
    }
  });
}
