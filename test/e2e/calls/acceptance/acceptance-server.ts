/**
 * The real product for the call-flow acceptance tests: `startServer` on a telephony backend (by default
 * the embedded one: SIP on 127.0.0.1, port 0; RTP and the admin API in the test file's port block;
 * the live suite passes the freeswitch backend), everything set up through the admin API with the API
 * key the first start prints, and probes on what the API and the store show.
 *
 * Port plan of a block starting at `base`: peers (sipp, baresip) `base` .. `base+89`, admin API
 * `base+90`, embedded server RTP `base+100` .. `base+499`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { merge } from '../../../../src/config/load.js';
import { startServer, type RunningServer } from '../../../../src/server.js';
import type { EmbeddedTelephony } from '../../../../src/telephony/embedded/embedded-telephony.js';
import type { CallRecord } from '../../../../src/store/store.js';
import { testConfig } from '../../../helpers/temp.js';

/** What differs between backends for the same flows: config, where the data folder lives, where callers dial. */
export interface AcceptanceBackend {
  name: 'embedded' | 'freeswitch';
  /** Config layer for the backend, merged over the common one and under the test's own overrides. */
  config(base: number): Record<string, unknown>;
  /**
   * Folder the temp data folder is made in (default: the OS temp folder). The freeswitch backend
   * needs it inside the shared folder: FreeSWITCH plays the cached speech and writes the voicemails there.
   */
  dataParent?: string;
  /** `host:port` callers send their INVITEs to. */
  sipTarget(server: RunningServer): string;
}

/** The embedded backend: SIP on 127.0.0.1 (any port, short timers), RTP in the block's server range. */
export const embeddedBackend: AcceptanceBackend = {
  name: 'embedded',
  config: (base) => ({
    telephony: { backend: 'embedded' },
    sip: { port: 0, address: '127.0.0.1', t1_ms: 100, t2_ms: 800, t4_ms: 1000 },
    media: {
      address: '127.0.0.1',
      advertised_address: '127.0.0.1',
      rtp_port_min: base + 100,
      rtp_port_max: base + 499,
    },
  }),
  sipTarget: (server) => `127.0.0.1:${(server.telephony as unknown as EmbeddedTelephony).port}`,
};

export interface AcceptanceServer {
  server: RunningServer;
  apiKey: string;
  dir: string;
  /** `127.0.0.1:port` of the server's SIP listener. */
  sipTarget: string;
  api(
    method: string,
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Creates the definitions, the agent, its attachments and routes `number` to it, all by the admin API. */
  setupAgent(spec: AgentSpec): Promise<string>;
  /** Resolves with the call row once `probe` accepts it (polled; generous deadline for a busy machine). */
  callWhen(callId: string, probe: (c: CallRecord) => boolean, ms?: number): Promise<CallRecord>;
  /** The newest call to `number`, once one exists. */
  callTo(number: string, ms?: number): Promise<CallRecord>;
  /** The call's action runs from GET /action-runs, oldest first. */
  runs(callId: string): Promise<Array<Record<string, unknown>>>;
  /** The call's events from GET /calls/:id/events, in order. */
  events(callId: string): Promise<Array<{ type: string; data: Record<string, unknown> }>>;
  stop(): Promise<void>;
}

export interface AgentSpec {
  name: string;
  /** E.164 number routed to the agent (numbers table). */
  number?: string;
  /** Default `scripted`, whose config is `{ steps }`. */
  kind?: 'scripted' | 'webhook' | 'llm';
  /** A scripted agent's steps (its whole config). */
  steps?: unknown[];
  /** The agent's config for other kinds (an llm agent's model, prompts, fillers, …). */
  config?: Record<string, unknown>;
  /** The agent's own speech settings (recogniser, hints, turn timing). */
  speech?: Record<string, unknown>;
  targets?: Record<string, unknown>;
  actions?: Array<{ name: string; type: string; config: Record<string, unknown> }>;
  attachments?: Array<{ action: string; stage: string; triggers?: unknown[] }>;
}

export async function until<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startAcceptanceServer(
  base: number,
  overrides: Record<string, unknown> = {},
  backend: AcceptanceBackend = embeddedBackend,
): Promise<AcceptanceServer> {
  const dir = mkdtempSync(path.join(backend.dataParent ?? tmpdir(), 'callwright-acceptance-'));
  const lines: string[] = [];
  const config = testConfig(
    dir,
    merge(
      merge(backend.config(base), {
        api: { host: '127.0.0.1', port: base + 90 },
        // LOG_LEVEL=debug shows the server's log while a flow is being debugged (as in the live rig).
        log: { level: process.env.LOG_LEVEL ?? 'silent' },
        calls: {
          demo_agent: false,
          calling_hours: {
            days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
            start: '00:00',
            end: '23:59',
          },
        },
        outbox: { poll_interval_ms: 50, backoff_base_ms: 10, backoff_max_ms: 50 },
      }),
      overrides,
    ),
  );
  const server = await startServer(config, {
    io: { out: (l) => lines.push(l), err: () => undefined, tty: false },
  });
  const apiKey = /API key: (\S+)/.exec(lines.join('\n'))?.[1] ?? '';
  const sipTarget = backend.sipTarget(server);

  async function api(
    method: string,
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${server.apiUrl}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async function created(method: string, url: string, body: unknown): Promise<Record<string, unknown>> {
    const res = await api(method, url, body);
    expect(res.status, `${method} ${url}: ${JSON.stringify(res.body)}`).toBe(201);
    return res.body;
  }

  return {
    server,
    apiKey,
    dir,
    sipTarget,
    api,
    async setupAgent(spec) {
      for (const a of spec.actions ?? []) await created('POST', '/actions', a);
      const agent = await created('POST', '/agents', {
        name: spec.name,
        kind: spec.kind ?? 'scripted',
        config: spec.config ?? { steps: spec.steps ?? [] },
        ...(spec.targets ? { targets: spec.targets } : {}),
        ...(spec.speech ? { speech: spec.speech } : {}),
      });
      const id = String(agent.id);
      for (const att of spec.attachments ?? []) {
        await created('POST', `/agents/${id}/actions`, {
          action_id: att.action,
          stage: att.stage,
          ...(att.triggers ? { triggers: att.triggers } : {}),
        });
      }
      if (spec.number) await created('POST', '/numbers', { number: spec.number, agent_id: id });
      return id;
    },
    callWhen(callId, probe, ms = 30_000) {
      return until(async () => {
        const row = await server.store.calls.get(callId);
        return row && probe(row) ? row : undefined;
      }, ms);
    },
    callTo(number, ms = 30_000) {
      return until(
        async () => (await server.store.calls.list({ limit: 50 })).items.find((c) => c.to_number === number),
        ms,
      );
    },
    async runs(callId) {
      const res = await api('GET', `/action-runs?call_id=${callId}&limit=100`);
      expect(res.status).toBe(200);
      return [...(res.body.items as Array<Record<string, unknown>>)].reverse();
    },
    async events(callId) {
      const res = await api('GET', `/calls/${callId}/events?limit=500`);
      expect(res.status).toBe(200);
      return res.body.items as Array<{ type: string; data: Record<string, unknown> }>;
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Where one backend's run of a shared acceptance flow happens. */
export interface FlowOptions {
  /** First port of the test file's block (see the port plan above). */
  base: number;
  /** Shown in the describe title: which backend the flow ran on. */
  label: string;
  /** Called in beforeAll, so a skipped suite never builds it. */
  backend: () => AcceptanceBackend;
}
