/**
 * The README's "Call it": a fresh server (default `calls` config) answers with the demo agent; sipp
 * presses 1 and hears the agent through to its BYE. Port block: 34500-34999.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server.js';
import type { EmbeddedTelephony } from '../../../src/telephony/embedded/embedded-telephony.js';
import { runSipp, sippFailure } from '../../helpers/sipp.js';
import { tempDir, testConfig } from '../../helpers/temp.js';

const BASE = 34500;
const PRESS_1 = 'uac-invite-press-1-expect-bye.xml';
let dir: { dir: string; cleanup: () => void };
let server: RunningServer;

beforeAll(async () => {
  dir = tempDir('callwright-e2e-demo-');
  const config = testConfig(dir.dir, {
    sip: { port: 0, address: '127.0.0.1', t1_ms: 100, t2_ms: 800, t4_ms: 1000 },
    media: {
      address: '127.0.0.1',
      advertised_address: '127.0.0.1',
      rtp_port_min: BASE + 100,
      rtp_port_max: BASE + 499,
    },
  });
  expect(config.calls).toMatchObject({ demo_agent: true, default_agent: '' });
  server = await startServer(config, { io: { out: () => undefined, err: () => undefined, tty: false } });
});
afterAll(async () => {
  await server?.stop();
  dir?.cleanup();
});

it('a fresh server routes any number to the demo agent: greeting, key 1 (typed ahead), goodbye', async () => {
  const target = `127.0.0.1:${(server.telephony as unknown as EmbeddedTelephony).port}`;
  const result = await runSipp({
    scenario: PRESS_1,
    remote: target,
    service: '1000',
    localPort: BASE + 1,
    mediaPort: BASE + 10,
    timeoutMs: 40_000,
  });
  expect(result.code, sippFailure(result)).toBe(0);
  const call = (await server.store.calls.list({ limit: 1 })).items[0]!;
  expect((await server.store.agents.require(call.agent_id!)).name).toBe('demo');
  const said = (await server.store.callEvents.list(call.id, { limit: 200 })).items
    .filter((e) => e.type === 'transcript')
    .map((e) => String(e.data.text));
  expect(said[0]).toBe('Hello, and welcome to Callwright.');
  expect(said.at(-1)).toBe('Thank you for calling. Goodbye.');
  expect(said.some((t) => t.startsWith('No transfer target'))).toBe(true);
});
