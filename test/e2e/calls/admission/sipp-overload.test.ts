/**
 * Admission control against a real SIP peer under overload: three times what the node may carry is
 * offered at once; the excess is refused with 503 + Retry-After before anything else, and the calls
 * admitted complete untouched.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AdmissionControl } from '../../../../src/calls/admission.js';
import type { CallLeg, HangupEvent } from '../../../../src/telephony/port.js';
import { configWith, startEmbeddedBackend, type EmbeddedBackend } from '../../../helpers/embedded-backend.js';
import { runSipp, sippFailure } from '../../../helpers/sipp.js';
import { tempDir } from '../../../helpers/temp.js';

// Port block of this file: sipp 48000, SIP 48001, RTP 48010-48099 (45 even ports, 20 calls take 20).
const SIPP_PORT = 48000;
const SIP_PORT = 48001;

let backend: EmbeddedBackend | undefined;
let admission: AdmissionControl | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await backend?.stop();
  admission?.close();
  backend = undefined;
  cleanups.splice(0).forEach((c) => c());
});

/** sipp's final statistics line (-trace_stat) as column → value. */
function finalStats(file: string): Record<string, string> {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const head = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  return Object.fromEntries(head.map((h, i) => [h, last[i] ?? '']));
}

describe('admission control under overload (embedded backend, sipp)', () => {
  it('refuses exactly the calls over max_concurrent_calls with 503 + Retry-After before any 100/180, and every admitted call completes', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const config = configWith({
      log: { level: 'silent' },
      sip: { port: SIP_PORT, address: '127.0.0.1', t1_ms: 500 },
      media: {
        address: '127.0.0.1',
        advertised_address: '127.0.0.1',
        rtp_port_min: 48010,
        rtp_port_max: 48099,
      },
      admission: { max_concurrent_calls: 20, retry_after_s: 7 },
    });
    expect(config.admission.auto).toBe(true); // on by default: it must not refuse at this load
    backend = await startEmbeddedBackend(config);
    admission = new AdmissionControl(config.admission);
    backend.telephony.setAdmissionGate(admission);
    const answered: CallLeg[] = [];
    const ended: Promise<HangupEvent>[] = [];
    let peak = 0;
    backend.telephony.onInbound(async (call) => {
      await call.ring();
      const leg = await call.answer();
      answered.push(leg);
      ended.push(leg.ended);
      peak = Math.max(peak, admission!.stats().active);
    });

    const statFile = path.join(tmp.dir, 'stat.csv');
    const messages = path.join(tmp.dir, 'messages.log');
    const result = await runSipp({
      scenario: 'uac-invite-admitted-or-503-retry-after.xml',
      remote: `127.0.0.1:${SIP_PORT}`,
      localPort: SIPP_PORT,
      service: '1000',
      calls: 60,
      limit: 60,
      rate: 60,
      timeoutMs: 90_000,
      extraArgs: ['-d', '20000', '-trace_stat', '-stf', statFile, '-trace_msg', '-message_file', messages],
    });
    expect(result.code, sippFailure(result)).toBe(0);

    const stats = finalStats(statFile);
    expect(Number(stats['SuccessfulCall(C)'])).toBe(60);
    expect(Number(stats['FailedCall(C)'])).toBe(0);
    expect(Number(stats['Retransmissions(C)'])).toBe(0);
    expect(Number(stats['FailedMaxUDPRetrans(C)'])).toBe(0);
    expect(Number(stats['FailedCallRejected(C)'] ?? 0)).toBe(0);
    expect(Number(stats['FailedUnexpectedMessage(C)'])).toBe(0);

    // What sipp received: 40 refusals, each with Retry-After; 20 calls with 100, 180 and 200.
    const log = readFileSync(messages, 'utf8');
    // Entries: a line of dashes and a time, "UDP message received [n] bytes :", the message.
    const received = log.split(/^-{10,}.*$/m).filter((m) => /message received/.test(m));
    const refusals = received.filter((m) => /SIP\/2\.0 503 Service Unavailable/.test(m));
    expect(refusals).toHaveLength(40);
    for (const r of refusals) expect(r).toMatch(/^Retry-After: 7\s*$/m);
    expect(received.filter((m) => /SIP\/2\.0 100 /.test(m) && /CSeq: 1 INVITE/.test(m))).toHaveLength(20);
    expect(received.filter((m) => /SIP\/2\.0 180 /.test(m))).toHaveLength(20);

    expect(answered).toHaveLength(20);
    expect(peak).toBe(20);
    const ends = await Promise.all(ended);
    expect(ends.every((e) => e.by === 'remote' && e.cause === 'normal')).toBe(true);
    expect(admission.stats()).toEqual({
      active: 0,
      draining: false,
      refusals: { concurrency: 40, rate: 0, overload: 0, 'rtp-ports': 0, draining: 0 },
    });
  }, 120_000);
});
