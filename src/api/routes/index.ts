import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../app.js';

/** Registers every resource route group. */
export async function registerResourceRoutes(_app: FastifyInstance, _deps: ApiDeps): Promise<void> {}
