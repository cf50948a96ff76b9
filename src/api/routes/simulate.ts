import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ApiDeps } from '../app.js';
import type { ActionEngine } from '../../actions/action-engine.js';
import { simulate, SimulationScript } from '../../agent/simulation.js';
import { notFound } from '../../errors.js';

/** POST /agents/:id/simulate: which actions a scripted call would fire and what a scripted agent's own steps would do, in order, rendered; no side effects. */
export function simulateRoutes(app: FastifyInstance, { store }: ApiDeps, engine: ActionEngine): void {
  app.post(
    '/agents/:id/simulate',
    {
      schema: {
        tags: ['agents'],
        summary: 'Simulate a scripted call: events, transcript lines and DTMF through triggers and actions',
        params: Type.Object({ id: Type.String({ minLength: 1 }) }),
        body: SimulationScript,
      },
    },
    async (req) => {
      const id = (req.params as { id: string }).id;
      const agent = await store.agents.byIdOrName(id);
      if (!agent) throw notFound('agent', id);
      return await simulate(engine, agent.id, req.body, agent);
    },
  );
}
