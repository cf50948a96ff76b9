import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApi, type ApiDeps } from '../../../src/api/app.js';
import type { Store } from '../../../src/store/store.js';
import { tempStore, testConfig } from '../../helpers/temp.js';
import { testActionEngine } from '../../helpers/action-engine.js';

export interface ApiHarness {
  app: FastifyInstance;
  store: Store;
  token: string;
  dir: string;
  /** An authenticated request; returns the status and the parsed JSON body. */
  call(method: InjectOptions['method'], url: string, body?: unknown): Promise<{ status: number; body: Json }>;
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are read field by field
export type Json = any;

/** A real API over a real SQLite file in a temp folder, with one API key; `extra` adds or replaces deps. */
export async function apiHarness(extra: Partial<ApiDeps> = {}): Promise<ApiHarness> {
  const t = tempStore();
  const config = testConfig(t.dir);
  // The same engine factory and call-flow types the server composes (no live telephony here).
  const engine = testActionEngine(t.store, config);
  const app = await buildApi({ store: t.store, config, actionEngine: engine, ...extra });
  const { token } = await t.store.apiKeys.create('test');
  return {
    app,
    store: t.store,
    token,
    dir: t.dir,
    async call(method, url, body) {
      const res = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { payload: body as object }),
      });
      return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Json) : undefined };
    },
    async close() {
      await app.close();
      await t.store.close();
      await t.cleanup();
    },
  };
}
