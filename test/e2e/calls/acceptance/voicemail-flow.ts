/**
 * Acceptance flow, through the real server (startServer on a given backend, admin API, scripted agent,
 * call session, outbox worker): a baresip caller presses 2 and leaves a voicemail; the row is stored, the
 * email with the recording link reaches a real SMTP server, and the link serves the WAV with the API key.
 * Run by voicemail.test.ts (embedded) and test/freeswitch/call-flows.live.ts (live daemons).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { Baresip } from '../../../helpers/baresip.js';
import { tone, writeWav } from '../../../helpers/audio.js';
import { toneShare } from '../../telephony/audio-analysis.js';
import { decodeQuotedPrintable, startSmtp, type TestSmtp } from '../../../helpers/smtp.js';
import {
  startAcceptanceServer,
  until,
  type AcceptanceServer,
  type FlowOptions,
} from './acceptance-server.js';

const CALLER_HZ = 500;

/** The voicemail acceptance test on `options.backend`, peers and API in the block at `options.base`. */
export function voicemailFlow(options: FlowOptions): void {
  const BASE = options.base;
  describe(`acceptance (${options.label}): voicemail through the real server with baresip and a real SMTP server`, () => {
    let app: AcceptanceServer;
    let smtp: TestSmtp;

    beforeAll(async () => {
      smtp = await startSmtp();
      app = await startAcceptanceServer(
        BASE,
        { mail: { from: 'callwright@example.com', smtp: { host: '127.0.0.1', port: smtp.port } } },
        options.backend(),
      );
    });
    afterAll(async () => {
      await app?.stop();
      await smtp?.close();
    });

    it('records the caller, stores the row, emails the link, and the link serves the WAV with the API key', async () => {
      await app.setupAgent({
        name: 'voicemail',
        number: '+14155550301',
        steps: [
          { say: 'Press 2 to leave a message.' },
          { gather: { input: 'dtmf', max_digits: 1, timeout_ms: 15000, into: 'choice' } },
          { branch: [{ dtmf: '2', goto: 'vm' }] },
          { hangup: true },
          { id: 'vm', action: 'take_message' },
          { hangup: { say: 'Thank you. Goodbye.' } },
        ],
        actions: [
          {
            name: 'take_message',
            type: 'leave-voicemail',
            config: {
              prompt: 'Leave a message.',
              max_duration_ms: 3000,
              silence_timeout_ms: 0,
              notify_to: ['team@example.com'],
            },
          },
        ],
        attachments: [{ action: 'take_message', stage: 'during', triggers: [{ kind: 'tool' }] }],
      });
      const source = path.join(app.dir, 'caller.wav');
      writeWav(source, tone(8000, 40, CALLER_HZ, 0.3), { sampleRate: 8000 });
      const caller = new Baresip({ sipPort: BASE + 10, sourceWav: source, user: 'caller' });
      try {
        await caller.start();
        caller.command('dial', `sip:+14155550301@${app.sipTarget}`);
        await caller.waitFor('CALL_ESTABLISHED', 15_000);
        const { id: callId } = await app.callTo('+14155550301');
        caller.command('sndcode', '2');
        // The agent hangs up after its closing line.
        await caller.waitFor('CALL_CLOSED', 40_000);
        const call = await app.callWhen(callId, (c) => c.state === 'ended');
        expect(call).toMatchObject({ outcome: 'completed', hangup_by: 'agent', collected: { choice: '2' } });

        const runs = await app.runs(callId);
        expect(runs.map((r) => [r.action_type, r.status])).toEqual([['leave-voicemail', 'succeeded']]);
        expect(runs[0]?.outputs).toMatchObject({
          saved: true,
          end: 'max-duration',
          email: { status: 'queued' },
        });
        const vmId = String((runs[0]?.outputs as Record<string, unknown>).voicemail_id);

        const listed = await app.api('GET', `/voicemails?call_id=${callId}`);
        expect(listed.status).toBe(200);
        const items = listed.body.items as Array<Record<string, unknown>>;
        expect(items).toHaveLength(1);
        expect(items[0]).toMatchObject({ id: vmId, call_id: callId, to_number: '+14155550301' });
        expect(Number(items[0]?.duration_ms)).toBeGreaterThanOrEqual(2900);
        expect((await app.events(callId)).map((e) => e.type)).toContain('voicemail-left');

        // Delivered by the server's own outbox worker.
        const mail = await smtp.waitFor((m) => m.to.includes('team@example.com'), 20_000);
        const link = `http://127.0.0.1:${BASE + 90}/voicemails/${vmId}/recording`;
        expect(decodeQuotedPrintable(mail.raw)).toContain(link);
        await until(() =>
          app.server.store.db.prepare('SELECT notified_at FROM voicemails WHERE id = ?').get(vmId),
        );

        expect((await fetch(link)).status).toBe(401);
        const res = await fetch(link, { headers: { authorization: `Bearer ${app.apiKey}` } });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('audio/wav');
        const wav = new wavefile.WaveFile(Buffer.from(await res.arrayBuffer()));
        const samples = wav.getSamples(false, Int16Array) as unknown as Int16Array;
        // The caller's tone is what was recorded (skip the first 300 ms: the beep and jitter buffer).
        expect(toneShare(samples.slice(2400), CALLER_HZ)).toBeGreaterThan(0.5);
      } finally {
        await caller.stop();
      }
    }, 90_000);
  });
}
