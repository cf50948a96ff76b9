/**
 * Refusals a node decides for itself, seen by real SIP peers: no RTP port left (503 + Retry-After
 * before any ringing) and OPTIONS probes answered 503 while full or draining, 200 otherwise, so a
 * dispatcher in front (Kamailio) takes the node out and back in.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AdmissionControl } from '../../../../src/calls/admission.js';
import type { CallLeg } from '../../../../src/telephony/port.js';
import { configWith, startEmbeddedBackend, type EmbeddedBackend } from '../../../helpers/embedded-backend.js';
import { runSipp, sippFailure, startSipp } from '../../../helpers/sipp.js';
import { RawSipClient, request } from '../../telephony/raw-sip-client.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '../../../helpers/temp.js';

// Port block of this file: 48100-48199. sipp 48100-48102, raw client 48103, SIP 48104,
// RTP 48110-48113 (two even ports: 48110, 48112).
const SIP_PORT = 48104;

let backend: EmbeddedBackend | undefined;
let admission: AdmissionControl | undefined;
let client: RawSipClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await backend?.stop();
  admission?.close();
  backend = undefined;
});

async function start(admissionLayer: Record<string, unknown>): Promise<{ answered: CallLeg[] }> {
  const config = configWith({
    log: { level: 'silent' },
    sip: { port: SIP_PORT, address: '127.0.0.1', t1_ms: 500 },
    media: {
      address: '127.0.0.1',
      advertised_address: '127.0.0.1',
      rtp_port_min: 48110,
      rtp_port_max: 48113,
    },
    admission: admissionLayer,
  });
  backend = await startEmbeddedBackend(config);
  admission = new AdmissionControl(config.admission);
  backend.telephony.setAdmissionGate(admission);
  const answered: CallLeg[] = [];
  backend.telephony.onInbound(async (call) => {
    await call.ring();
    answered.push(await call.answer());
  });
  return { answered };
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function options(): Promise<{ status: number; text: string }> {
  client ??= await RawSipClient.open('127.0.0.1', 48103);
  const replies = await client.send(request('OPTIONS', `sip:ping@127.0.0.1:${SIP_PORT}`, client), {
    host: '127.0.0.1',
    port: SIP_PORT,
  });
  expect(replies).toHaveLength(1);
  return replies[0]!;
}

describe('refusals the node decides itself (embedded backend)', () => {
  it('refuses the call one past the RTP port range with 503 + Retry-After before any ringing', async () => {
    const { answered } = await start({ retry_after_s: 9 });
    // Two calls take the two ports and stay up for 4 s.
    const holding = startSipp({
      scenario: 'uac-invite-answer-hangup.xml',
      remote: `127.0.0.1:${SIP_PORT}`,
      localPort: 48100,
      service: '1000',
      calls: 2,
      limit: 2,
      rate: 10,
      extraArgs: ['-d', '4000'],
    });
    await until(() => answered.length === 2);
    const tmp = tempDir();
    const trace = path.join(tmp.dir, 'messages.log');
    const refused = await runSipp({
      scenario: 'uac-invite-expect-503-retry-after-no-ringing.xml',
      remote: `127.0.0.1:${SIP_PORT}`,
      localPort: 48101,
      service: '1000',
      extraArgs: ['-trace_msg', '-message_file', trace],
    });
    expect(refused.code, sippFailure(refused)).toBe(0);
    const messages = readFileSync(trace, 'utf8');
    tmp.cleanup();
    expect(messages).toMatch(/SIP\/2\.0 503 Service Unavailable/);
    expect(messages).toMatch(/^Retry-After: 9\s*$/m);
    expect(messages).not.toMatch(/SIP\/2\.0 180/);
    const held = await holding.done;
    expect(held.code, sippFailure(held)).toBe(0);
    expect(admission!.stats().refusals['rtp-ports']).toBe(1);
    expect(admission!.stats().active).toBe(0);
    // The ports are free again: the next call is answered.
    const next = await runSipp({
      scenario: 'uac-invite-answer-hangup.xml',
      remote: `127.0.0.1:${SIP_PORT}`,
      localPort: 48102,
      service: '1000',
    });
    expect(next.code, sippFailure(next)).toBe(0);
  }, 60_000);

  it('answers OPTIONS 503 + Retry-After while full or draining, 200 otherwise', async () => {
    const { answered } = await start({ max_concurrent_calls: 1, retry_after_s: 11 });
    expect((await options()).status).toBe(200);
    const holding = startSipp({
      scenario: 'uac-invite-answer-hangup.xml',
      remote: `127.0.0.1:${SIP_PORT}`,
      localPort: 48100,
      service: '1000',
      extraArgs: ['-d', '2000'],
    });
    await until(() => answered.length === 1);
    const full = await options();
    expect(full.status).toBe(503);
    expect(full.text).toMatch(/^Retry-After: 11\r?$/m);
    const held = await holding.done;
    expect(held.code, sippFailure(held)).toBe(0);
    await until(() => admission!.stats().active === 0);
    expect((await options()).status).toBe(200);
    admission!.startDrain();
    const draining = await options();
    expect(draining.status).toBe(503);
    expect(draining.text).toMatch(/^Retry-After: 11\r?$/m);
  }, 60_000);
});
