/**
 * bench:soak, bench:overload and bench/rss-burst.ts measure the real server as a child process
 * (bench/server-child.ts): `callwright start` with a temp config, node's --expose-gc and the IPC memory
 * probe preloaded. The probe must answer with the child's own figures (not the bench's), a forced
 * collection must happen when asked, and stop() must end the process and free its ports.
 * Ports for this file: 48550-48579.
 */
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerChild, type ServerChild } from '../../../bench/server-child.js';

const SIP = 48550;
let server: ServerChild;

beforeAll(async () => {
  server = await startServerChild({
    apiPort: SIP + 1,
    config: {
      log: { level: 'error' },
      sip: { address: '127.0.0.1', port: SIP, transports: ['udp'] },
      media: {
        address: '127.0.0.1',
        advertised_address: '127.0.0.1',
        rtp_port_min: 48560,
        rtp_port_max: 48579,
      },
      speech: { recognizer: 'none' },
      calls: { demo_agent: false },
    },
  });
}, 120_000);
afterAll(async () => server?.stop());

describe('the server child of the soak and overload benches', () => {
  it('answers the memory probe with its own figures, collecting garbage when asked', async () => {
    expect(server.pid).not.toBe(process.pid);
    const found = await server.probe(false);
    expect(found.collected).toBe(false);
    expect(found.after).toEqual(found.before);
    const collected = await server.probe(true);
    expect(collected.collected).toBe(true);
    for (const m of [collected.before, collected.after]) {
      expect(m.rss).toBeGreaterThan(m.heapUsed);
      expect(m.heapUsed).toBeGreaterThan(0);
    }
    // Its SIP socket and API listener are among its active resources.
    expect(collected.resources.UDPWrap ?? 0).toBeGreaterThanOrEqual(1);
    expect(collected.resources.TCPServerWrap ?? 0).toBeGreaterThanOrEqual(1);
  });

  it('is set up through its admin API with the key it printed', async () => {
    const agent = await server.api<{ id: string; name: string }>('POST', '/agents', {
      name: 'probe-test',
      kind: 'scripted',
      config: { steps: [{ gather: { input: 'dtmf', max_digits: 1, timeout_ms: 1000 } }] },
    });
    expect(agent.name).toBe('probe-test');
  });

  it('a server that cannot start (its SIP port taken) is reported at once with its error', async () => {
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(SIP + 2, '127.0.0.1', () => resolve()));
    const began = Date.now();
    try {
      await expect(
        startServerChild({
          apiPort: SIP + 3,
          config: {
            log: { level: 'error' },
            sip: { address: '127.0.0.1', port: SIP + 2, transports: ['udp'] },
            media: {
              address: '127.0.0.1',
              advertised_address: '127.0.0.1',
              rtp_port_min: 48560,
              rtp_port_max: 48569,
            },
            calls: { demo_agent: false },
          },
        }),
      ).rejects.toThrow(/EADDRINUSE/);
      // Not the 90 s start-up limit: the failed `callwright start` ends, the IPC channel does not hold it.
      expect(Date.now() - began).toBeLessThan(60_000);
    } finally {
      taken.close();
    }
  }, 90_000);

  it('stop() ends the process, frees the SIP port and removes its folder', async () => {
    const dir = server.dir;
    await server.stop();
    expect(existsSync(dir)).toBe(false);
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(SIP, '127.0.0.1', () => resolve());
    });
    socket.close();
  }, 60_000);
});
