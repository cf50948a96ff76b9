import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { Baresip } from '../../../helpers/baresip.js';
import { tone, writeWav } from '../../../helpers/audio.js';
import { decodeQuotedPrintable, startSmtp, type TestSmtp } from '../../../helpers/smtp.js';
import { startFlowRig, type FlowRig } from '../transfer/flow-fixture.js';
import { SmtpMailer } from '../../../../src/integrations/mail/mailer.js';
import { createOutboxWorker } from '../../../../src/delivery/outbox-service.js';
import { VoicemailEmailHandler } from '../../../../src/calls/voicemail/voicemail-email-handler.js';
import { voicemailsOf } from '../../../../src/calls/voicemail/voicemail-repository.js';
import { buildApi } from '../../../../src/api/app.js';

// Port block for this file: 37000-37499 (baresip 37010..; RTP 37100-37499).
const BASE = 37000;
const CALLER_HZ = 500;

function energyAt(samples: Int16Array, hz: number): number {
  const k = (2 * Math.PI * hz) / 8000;
  const c = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  let total = 0;
  for (const x of samples) {
    const v = x / 32768;
    const s0 = v + c * s1 - s2;
    s2 = s1;
    s1 = s0;
    total += v * v;
  }
  return total > 0 ? (2 * (s1 * s1 + s2 * s2 - c * s1 * s2)) / samples.length / total : 0;
}

describe('voicemail on the embedded backend with baresip and a real SMTP server', () => {
  let rig: FlowRig;
  let smtp: TestSmtp;

  beforeAll(async () => {
    smtp = await startSmtp();
    rig = await startFlowRig(BASE, {
      api: { public_url: 'http://voicemail.test:8080' },
      mail: { from: 'callwright@example.com', smtp: { host: '127.0.0.1', port: smtp.port } },
    });
    rig.attach(
      'voicemail',
      'leave-voicemail',
      {
        prompt: 'Leave a message.',
        max_duration_ms: 3000,
        silence_timeout_ms: 0,
        notify_to: ['team@example.com'],
      },
      [{ kind: 'dtmf', digits: '2' }],
    );
  });
  afterAll(async () => {
    await rig?.stop();
    await smtp?.close();
  });

  it('records the caller, stores the row, emails the link, and the link serves the WAV with the API key', async () => {
    const mailer = new SmtpMailer(rig.config.mail);
    const { worker } = createOutboxWorker({
      store: rig.store,
      settings: { ...rig.config.outbox, poll_interval_ms: 50 },
      logger: pino({ level: 'silent' }),
      handlers: [new VoicemailEmailHandler({ mailer, voicemails: voicemailsOf(rig.store.db) })],
    });
    worker.start();
    const source = path.join(rig.dir, 'caller.wav');
    writeWav(source, tone(8000, 40, CALLER_HZ, 0.3), { sampleRate: 8000 });
    const caller = new Baresip({ sipPort: BASE + 10, sourceWav: source, user: 'caller' });
    try {
      await caller.start();
      const answered = rig.nextCall();
      caller.command('dial', `sip:+14155550199@${rig.target}`);
      await caller.waitFor('CALL_ESTABLISHED');
      const call = await answered;
      await new Promise((r) => setTimeout(r, 300));
      caller.command('sndcode', '2');
      await expect.poll(() => call.results.length, { timeout: 5000 }).toBe(1);
      const stage = await call.results[0];
      const run = stage?.runs[0];
      expect(run).toMatchObject({
        status: 'succeeded',
        outputs: { saved: true, end: 'max-duration', email: { status: 'queued' } },
      });
      caller.command('hangup');
      await caller.waitFor('CALL_CLOSED');

      const id = String(run?.outputs.voicemail_id);
      const vm = voicemailsOf(rig.store.db).require(id);
      expect(vm).toMatchObject({ call_id: call.callId, to_number: '+14155550199' });
      expect(vm.duration_ms).toBeGreaterThanOrEqual(2900);
      expect(rig.store.callEvents.list(call.callId).items.map((e) => e.type)).toContain('voicemail-left');

      const mail = await smtp.waitFor((m) => m.to.includes('team@example.com'));
      const link = `http://voicemail.test:8080/voicemails/${id}/recording`;
      expect(decodeQuotedPrintable(mail.raw)).toContain(link);

      const app = await buildApi({ store: rig.store, config: rig.config });
      try {
        const url = new URL(link).pathname;
        expect((await app.inject({ url })).statusCode).toBe(401);
        const { token } = rig.store.apiKeys.create('e2e');
        const res = await app.inject({ url, headers: { authorization: `Bearer ${token}` } });
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('audio/wav');
        const wav = new wavefile.WaveFile(res.rawPayload);
        const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array;
        // The caller's tone is what was recorded (skip the first 300 ms: the beep and jitter buffer).
        expect(energyAt(samples.slice(2400), CALLER_HZ)).toBeGreaterThan(0.5);
      } finally {
        await app.close();
      }
    } finally {
      await caller.stop();
      await worker.stop();
      mailer.close();
    }
  }, 60_000);
});
