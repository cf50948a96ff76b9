/**
 * Admission control on live drachtio-server + FreeSWITCH: what a refused caller really receives
 * (drachtio-server's own 100 Trying, then our 503 + Retry-After, never a 180), and OPTIONS probes
 * answered 200, then 503 + Retry-After while full or draining. Ports of this file: 51200-51399.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AdmissionControl } from '../../src/calls/admission.js';
import { runSipp, sippFailure } from '../helpers/sipp.js';
import { tempDir } from '../helpers/temp.js';
import { RawSipClient, request } from '../e2e/telephony/raw-sip-client.js';
import { liveEnv } from './live-env.js';
import { startLive } from './live-rig.js';

const env = liveEnv();

describe.skipIf(!env)('admission on the freeswitch backend (live drachtio-server)', () => {
  let live: Awaited<ReturnType<typeof startLive>>;
  let admission: AdmissionControl;
  let client: RawSipClient;
  const [host, port] = (env?.drachtioSip ?? '127.0.0.1:5060').split(':') as [string, string];

  beforeAll(async () => {
    live = await startLive(env!);
    admission = new AdmissionControl({
      max_concurrent_calls: 1,
      max_calls_per_second: 0,
      retry_after_s: 8,
      auto: false,
    });
    live.telephony.setAdmissionGate(admission);
    client = await RawSipClient.open(env!.sippAddress, 51200);
  });
  afterAll(async () => {
    client?.close();
    admission?.close();
    await live?.telephony.stop();
  });

  async function options(): Promise<{ status: number; text: string }> {
    const replies = await client.send(
      request('OPTIONS', `sip:ping@${host}:${port}`, client),
      {
        host,
        port: Number(port),
      },
      1000,
    );
    expect(replies.length).toBeGreaterThanOrEqual(1);
    return replies[0]!;
  }

  it('answers OPTIONS 200 while calls are taken', async () => {
    expect((await options()).status).toBe(200);
  });

  it('while draining: OPTIONS 503 + Retry-After, and an INVITE gets 100 Trying from drachtio-server then 503 + Retry-After, no 180', async () => {
    admission.startDrain();
    const probe = await options();
    expect(probe.status).toBe(503);
    expect(probe.text).toMatch(/^Retry-After: 8\r?$/m);

    const tmp = tempDir();
    const trace = path.join(tmp.dir, 'messages.log');
    const result = await runSipp({
      scenario: 'uac-invite-expect-503-retry-after-no-ringing.xml',
      remote: `${host}:${port}`,
      localIp: env!.sippAddress,
      localPort: 51202,
      mediaPort: 51210,
      service: '1000',
      extraArgs: ['-trace_msg', '-message_file', trace],
    });
    const messages = readFileSync(trace, 'utf8');
    tmp.cleanup();
    expect(result.code, sippFailure(result)).toBe(0);
    const received = messages.split(/^-{10,}.*$/m).filter((m) => /message received/.test(m));
    expect(received.map((m) => /SIP\/2\.0 (\d{3})/.exec(m)?.[1])).toEqual(['100', '503']);
    expect(received[1]).toMatch(/^Retry-After: 8\s*$/m);
    expect(admission.stats().refusals.draining).toBe(1);
  });
});
