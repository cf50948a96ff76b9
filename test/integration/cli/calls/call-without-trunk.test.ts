/**
 * `callwright call` and `POST /calls` against a real running server (embedded backend on loopback)
 * whose sip.trunks is empty: the refusal comes back before anything is dialled, and the CLI exits 1
 * printing it. No call runs, so the RTP range is never used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startServer, type RunningServer } from '../../../../src/server.js';
import { importAgent } from '../../../../src/agent/agent-import.js';
import { cliHarness } from '../cli-harness.js';
import { tempDir, testConfig } from '../../../helpers/temp.js';

let dir: { dir: string; cleanup: () => void };
let server: RunningServer;
let apiKey = '';

beforeAll(async () => {
  dir = tempDir();
  const lines: string[] = [];
  server = await startServer(
    testConfig(dir.dir, {
      api: { host: '127.0.0.1' },
      sip: { address: '127.0.0.1', trunks: [] },
      media: { address: '127.0.0.1', advertised_address: '127.0.0.1' },
      calls: {
        demo_agent: false,
        calling_hours: {
          days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
          start: '00:00',
          end: '23:59',
        },
      },
    }),
    { io: { out: (l) => lines.push(l), err: () => undefined, tty: false } },
  );
  apiKey = /API key: (\S+)/.exec(lines.join('\n'))?.[1] ?? '';
  await importAgent(
    server.store,
    server.actions.engine,
    parse('agent: { name: collector, kind: scripted, config: { steps: [{ say: hi }] } }'),
  );
});

afterAll(async () => {
  await server?.stop();
  dir?.cleanup();
});

async function post(body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.apiUrl}/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('a call out with no trunk to carry it', () => {
  it('callwright call to an E.164 number exits 1 saying sip.trunks is empty and how to add one', async () => {
    const h = cliHarness();
    try {
      const r = await h.run(
        'call',
        'collector',
        '+14155550123',
        '--api-url',
        server.apiUrl,
        '--api-key',
        apiKey,
      );
      expect(r.code).toBe(1);
      expect(r.out).toEqual([]);
      expect(r.err.join('\n')).toMatch(
        /error \[PRECONDITION\]: to: \+?•+\d+ is an E\.164 number and needs a SIP trunk, but sip\.trunks is empty; add one to the config \(e\.g\. sip\.trunks: \[\{ name: carrier, host: 203\.0\.113\.10, port: 5060 \}\]\) or call a SIP URI \(sip:user@host\); nothing was dialled/,
      );
    } finally {
      h.cleanup();
    }
    expect((await server.store.calls.list({ limit: 10 })).items).toEqual([]);
  });

  it('callwright call --trunk with an unknown name exits 1 naming the trunk field, the value and what is accepted', async () => {
    const h = cliHarness();
    try {
      const r = await h.run(
        'call',
        'collector',
        'sip:bob@127.0.0.1:5099',
        '--trunk',
        'carrier',
        '--api-url',
        server.apiUrl,
        '--api-key',
        apiKey,
      );
      expect(r.code).toBe(1);
      expect(r.err.join('\n')).toContain(
        'error [VALIDATION]: trunk: got "carrier", expected a configured trunk, and sip.trunks is empty',
      );
    } finally {
      h.cleanup();
    }
  });

  it('POST /calls answers 4xx with the field, the value and what is accepted; no call row', async () => {
    const noTrunk = await post({ agent: 'collector', to: '+14155550123' });
    expect(noTrunk.status).toBe(409);
    expect(noTrunk.body).toMatchObject({
      code: 'PRECONDITION',
      issues: [{ field: 'sip.trunks', value: [] }],
    });
    const unknown = await post({ agent: 'collector', to: '+14155550123', trunk: 'carrier' });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({
      code: 'VALIDATION',
      issues: [{ field: 'trunk', value: 'carrier' }],
    });
    expect((await server.store.calls.list({ limit: 10 })).items).toEqual([]);
  });
});
