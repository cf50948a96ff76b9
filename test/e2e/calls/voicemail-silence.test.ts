/**
 * Voicemail silence end to end on the embedded backend: two baresip callers leave a message through the
 * real server (admin API, scripted agent, leave-voicemail, outbox, real SMTP server). One sends a WAV of
 * zeros: the recording is measured, discarded and said so in a voicemail-discarded event (no row, no
 * file, no email, no voicemail-left). The other sends a tone: kept and announced as before.
 * Port block: 38500-38999 (baresip 38510-38513, admin API 38590, server RTP 38600-38999).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Baresip } from '../../helpers/baresip.js';
import { tone, writeWav } from '../../helpers/audio.js';
import { startSmtp, type TestSmtp } from '../../helpers/smtp.js';
import {
  sleep,
  startAcceptanceServer,
  until,
  type AcceptanceServer,
} from './acceptance/acceptance-server.js';

const BASE = 38500;
const NUMBER = '+14155550401';

let app: AcceptanceServer;
let smtp: TestSmtp;

beforeAll(async () => {
  smtp = await startSmtp();
  app = await startAcceptanceServer(BASE, {
    mail: { from: 'callwright@example.com', smtp: { host: '127.0.0.1', port: smtp.port } },
  });
  await app.setupAgent({
    name: 'voicemail',
    number: NUMBER,
    steps: [{ action: 'take_message' }, { hangup: { say: 'Goodbye.' } }],
    actions: [
      {
        name: 'take_message',
        type: 'leave-voicemail',
        // No silence_threshold_dbfs: the server default (calls.voicemail_silence_threshold_dbfs) applies.
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
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await smtp?.close();
});

/**
 * One caller whose microphone plays `signal` dials the agent and stays until the agent hangs up, or
 * hangs up itself `hangupAfterMs` after the answer.
 */
async function leaveMessage(
  name: string,
  signal: Float64Array,
  sipPort: number,
  hangupAfterMs?: number,
): Promise<string> {
  const source = path.join(app.dir, `${name}.wav`);
  writeWav(source, signal, { sampleRate: 8000 });
  const caller = new Baresip({ sipPort, sourceWav: source, user: name });
  try {
    await caller.start();
    caller.command('dial', `sip:${NUMBER}@${app.sipTarget}`);
    await caller.waitFor('CALL_ESTABLISHED', 15_000);
    const { id } = await app.callWhen((await app.callTo(NUMBER)).id, (c) => c.state === 'answered');
    if (hangupAfterMs !== undefined) {
      await sleep(hangupAfterMs);
      caller.command('hangup');
    }
    await caller.waitFor('CALL_CLOSED', 40_000);
    await app.callWhen(id, (c) => c.state === 'ended');
    return id;
  } finally {
    await caller.stop();
  }
}

/** The call's `action_runs` once none is still running (the call's end is written after them). */
async function finishedRuns(callId: string): Promise<Array<Record<string, unknown>>> {
  return until(async () => {
    const runs = await app.runs(callId);
    return runs.length && runs.every((r) => r.status !== 'running') ? runs : undefined;
  });
}

describe('voicemail of pure silence', () => {
  it('a caller who sends only silence leaves no voicemail: discarded with the measured level, nothing announced', async () => {
    const callId = await leaveMessage('silent', new Float64Array(8000 * 40), BASE + 10);
    const runs = await app.runs(callId);
    expect(runs.map((r) => [r.action_type, r.status])).toEqual([['leave-voicemail', 'succeeded']]);
    const outputs = runs[0]?.outputs as Record<string, unknown>;
    expect(outputs).toMatchObject({ saved: false, reason: 'silent', threshold_dbfs: -45 });
    expect(Number(outputs.level_dbfs)).toBeLessThan(-45);

    const events = await app.events(callId);
    expect(events.map((e) => e.type)).not.toContain('voicemail-left');
    const discarded = events.find((e) => e.type === 'voicemail-discarded');
    expect(discarded?.data).toMatchObject({ reason: 'silent', threshold_dbfs: -45, end: 'max-duration' });
    expect(Number(discarded?.data.level_dbfs)).toBeLessThan(-45);
    expect(Number(discarded?.data.duration_ms)).toBeGreaterThanOrEqual(2900);

    const listed = await app.api('GET', `/voicemails?call_id=${callId}`);
    expect(listed.body).toMatchObject({ total: 0 });
    const dir = path.join(app.dir, 'voicemail');
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
    await sleep(500); // the outbox worker polls every 50 ms: an email would have been sent by now
    expect(smtp.messages).toHaveLength(0);
  }, 90_000);

  it('a caller who sends silence and hangs up mid-recording leaves no voicemail either', async () => {
    const callId = await leaveMessage('silent-hangup', new Float64Array(8000 * 40), BASE + 12, 3500);
    await app.callWhen(callId, (c) => c.state === 'ended');
    const discarded = await until(async () =>
      (await app.events(callId)).find((e) => e.type === 'voicemail-discarded'),
    );
    expect(discarded.data).toMatchObject({ reason: 'silent', end: 'hangup' });
    expect((await app.api('GET', `/voicemails?call_id=${callId}`)).body).toMatchObject({ total: 0 });
    // The hang-up ended the message: a completed run with its "not saved" outcome, not a cancelled one.
    const runs = await finishedRuns(callId);
    expect(runs.map((r) => [r.action_type, r.status])).toEqual([['leave-voicemail', 'succeeded']]);
    expect(runs[0]?.outputs).toMatchObject({ saved: false, reason: 'silent' });
  }, 90_000);

  it('a caller who speaks and hangs up to end the message leaves a voicemail that is kept and announced', async () => {
    const callId = await leaveMessage('speaker-hangup', tone(8000, 40, 500, 0.3), BASE + 13, 3500);
    const listed = await until(async () => {
      const r = await app.api('GET', `/voicemails?call_id=${callId}`);
      return r.body.total === 1 ? r.body : undefined;
    });
    const vmId = String((listed.items as Array<Record<string, unknown>>)[0]?.id);
    expect((await app.events(callId)).map((e) => e.type)).toContain('voicemail-left');
    // The message the hang-up ended is the run's outcome: succeeded and saved, not cancelled.
    const runs = await finishedRuns(callId);
    expect(runs.map((r) => [r.action_type, r.status])).toEqual([['leave-voicemail', 'succeeded']]);
    expect(runs[0]?.outputs).toMatchObject({ saved: true, voicemail_id: vmId, end: 'hangup' });
    const mail = await smtp.waitFor((m) => m.raw.includes(vmId), 20_000);
    expect(mail.to).toEqual(['team@example.com']);
  }, 90_000);

  it('a caller who speaks (a tone) leaves a voicemail that is kept and announced', async () => {
    const callId = await leaveMessage('speaker', tone(8000, 40, 500, 0.3), BASE + 11);
    const runs = await app.runs(callId);
    expect(runs[0]?.outputs).toMatchObject({ saved: true, end: 'max-duration' });
    const vmId = String((runs[0]?.outputs as Record<string, unknown>).voicemail_id);
    const events = await app.events(callId);
    expect(events.map((e) => e.type)).toContain('voicemail-left');
    expect(events.map((e) => e.type)).not.toContain('voicemail-discarded');
    const listed = await app.api('GET', `/voicemails?call_id=${callId}`);
    expect(listed.body).toMatchObject({ total: 1, items: [{ id: vmId }] });
    const mail = await smtp.waitFor((m) => m.raw.includes(vmId), 20_000);
    expect(mail.to).toEqual(['team@example.com']);
  }, 90_000);
});
