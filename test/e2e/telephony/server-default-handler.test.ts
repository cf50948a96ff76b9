import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server.js';
import { EmbeddedTelephony } from '../../../src/telephony/embedded/index.js';
import { runSipp, sippFailure } from '../../helpers/sipp.js';
import { tempDir, testConfig } from '../../helpers/temp.js';

// Port block for this file: 23500-23999.
const BASE = 23500;

describe('server with the embedded backend and a default agent', () => {
  const tmp = tempDir();
  let server: RunningServer;

  beforeAll(async () => {
    const config = testConfig(tmp.dir, {
      sip: { port: 0, t1_ms: 100 },
      // A one-line agent answers every number, so the call is as short as a greeting.
      calls: { demo_agent: false, default_agent: 'greeter' },
      media: {
        address: '127.0.0.1',
        advertised_address: '127.0.0.1',
        rtp_port_min: BASE + 100,
        rtp_port_max: BASE + 499,
      },
    });
    server = await startServer(config, { io: { out: () => undefined, err: () => undefined, tty: false } });
    await server.store.agents.create({
      name: 'greeter',
      kind: 'scripted',
      config: { steps: [{ say: 'Hello from Callwright.' }, { hangup: {} }] },
    });
  });
  afterAll(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  it('reports telephony in the readiness probe', async () => {
    const body = (await (await fetch(`${server.apiUrl}/ready`)).json()) as {
      components: Record<string, { ready: boolean }>;
    };
    expect(body.components.telephony?.ready).toBe(true);
  });

  it('answers, says the greeting and hangs up', async () => {
    if (!(server.telephony instanceof EmbeddedTelephony)) throw new Error('expected the embedded backend');
    const port = server.telephony.port;
    const result = await runSipp({
      scenario: 'uac-invite-expect-server-bye.xml',
      remote: `127.0.0.1:${port}`,
      service: '1000',
      localPort: BASE + 1,
      mediaPort: BASE + 10,
      timeoutMs: 30_000,
    });
    expect(result.code, sippFailure(result)).toBe(0);
    expect(server.telephony.stats().activeCalls).toBe(0);
  }, 40_000);
});
