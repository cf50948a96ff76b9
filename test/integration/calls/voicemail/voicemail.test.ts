import { existsSync, readdirSync, readFileSync } from 'node:fs';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { engineFixture } from '../../actions/engine-fixture.js';
import { FakeLeg, answeredHandle } from '../../../helpers/fake-port.js';
import { decodeQuotedPrintable, startSmtp, type TestSmtp } from '../../../helpers/smtp.js';
import { testConfig } from '../../../helpers/temp.js';
import { callFlowSettings } from '../../../../src/calls/targets/call-flow-settings.js';
import { VoicemailEmailHandler } from '../../../../src/calls/voicemail/voicemail-email-handler.js';
import { voicemailsOf } from '../../../../src/calls/voicemail/voicemail-repository.js';
import { SmtpMailer } from '../../../../src/integrations/mail/mailer.js';
import { createOutboxWorker } from '../../../../src/delivery/outbox-service.js';
import { buildApi } from '../../../../src/api/app.js';
import { registerCallFlowActions } from '../../../../src/calls/flow-actions/call-flow-types.js';

let fx: Awaited<ReturnType<typeof engineFixture>>;
let smtp: TestSmtp | undefined;
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await smtp?.close();
  smtp = undefined;
  await fx?.cleanup();
});

async function setup(
  durable: boolean,
  actionConfig: Record<string, unknown> = {},
  configOverrides: Record<string, unknown> = {},
) {
  fx = await engineFixture();
  smtp = await startSmtp();
  const config = testConfig(fx.dir, {
    api: { public_url: 'https://callwright.example.com/' },
    mail: { from: 'callwright@example.com', smtp: { host: '127.0.0.1', port: smtp.port } },
    ...configOverrides,
  });
  const mailer = new SmtpMailer(config.mail);
  closers.push(() => mailer.close());
  const settings = callFlowSettings(config, { durableVoicemailEmail: durable });
  Object.assign(fx.engine.services, { mailer });
  const fired: string[] = [];
  registerCallFlowActions(fx.registry, { settings, sink: { emit: (_id, e) => fired.push(e.type) } });
  await fx.attach(
    'vm',
    'leave-voicemail',
    {
      prompt: 'Leave it for {{ call.to }}',
      notify_to: ['support@example.com'],
      max_duration_ms: 30000,
      ...actionConfig,
    },
    'during',
  );
  const call = await fx.call('+14155550100');
  await fx.store.callEvents.append(call.id, 'transcript', {
    speaker: 'caller',
    text: 'Please call me back',
    final: true,
  });
  const leg = new FakeLeg({ recordMs: 1500 });
  const session = await fx.engine.session({
    agentId: fx.agent.id,
    callId: call.id,
    from: '+14155550100',
    to: '+14155550199',
    call: answeredHandle(call.id, leg),
  });
  return { config, mailer, call, leg, session, fired };
}

describe('leave-voicemail', () => {
  it('records after prompt and beep, stores the row and WAV, emails the link through the outbox, serves the WAV with the key', async () => {
    const { config, mailer, call, leg, session, fired } = await setup(true);
    const r = await session.runStage('during');
    const run = r.runs[0];
    expect(run).toMatchObject({
      status: 'succeeded',
      outputs: { saved: true, duration_ms: 1500, email: { status: 'queued' } },
    });
    expect(leg.ops).toEqual(['play:speech:Leave it for +14155550199', 'record:beep:30000']);
    const id = String(run?.outputs.voicemail_id);
    const vm = await voicemailsOf(fx.store.sql).require(id);
    expect(vm).toMatchObject({
      call_id: call.id,
      agent_id: fx.agent.id,
      from_number: '+14155550100',
      duration_ms: 1500,
    });
    expect(vm.recording_path).toBe(`${config.data.dir}/voicemail/${id}.wav`);
    expect(existsSync(vm.recording_path)).toBe(true);
    expect(fired).toEqual(['voicemail-left']);
    expect((await fx.store.callEvents.list(call.id)).items.map((e) => e.type)).toEqual([
      'transcript',
      'voicemail-left',
    ]);

    const { worker } = createOutboxWorker({
      store: fx.store,
      settings: { ...config.outbox, poll_interval_ms: 20 },
      logger: pino({ level: 'silent' }),
      handlers: [new VoicemailEmailHandler({ mailer, voicemails: voicemailsOf(fx.store.sql) })],
    });
    worker.start();
    closers.push(() => worker.stop());
    const mail = await smtp!.waitFor();
    expect(mail.to).toEqual(['support@example.com']);
    const body = decodeQuotedPrintable(mail.raw);
    expect(body).toContain('Subject: Voicemail from +14155550100');
    expect(body).toContain('caller: Please call me back');
    const link = `https://callwright.example.com/voicemails/${id}/recording`;
    expect(body).toContain(link);
    await expect.poll(async () => (await voicemailsOf(fx.store.sql).require(id)).notified_at).not.toBeNull();

    const app = await buildApi({ store: fx.store, config, actionEngine: fx.engine });
    closers.push(() => app.close());
    const path = new URL(link).pathname;
    expect((await app.inject({ url: path })).statusCode).toBe(401);
    const { token } = await fx.store.apiKeys.create('test');
    const wav = await app.inject({ url: path, headers: { authorization: `Bearer ${token}` } });
    expect(wav.statusCode).toBe(200);
    expect(wav.headers['content-type']).toBe('audio/wav');
    expect(wav.rawPayload.equals(readFileSync(vm.recording_path))).toBe(true);
    const list = await app.inject({ url: `/voicemails?call_id=${call.id}`, headers: { 'x-api-key': token } });
    expect(list.json()).toMatchObject({
      total: 1,
      items: [{ id, recording_url: `/voicemails/${id}/recording` }],
    });
    expect(list.json().items[0].recording_path).toBeUndefined();
    const one = await app.inject({ url: `/voicemails/${id}`, headers: { 'x-api-key': token } });
    expect(one.json()).toMatchObject({ id, notified_at: expect.any(String) });
    expect(
      (await app.inject({ url: '/voicemails/vm_nope/recording', headers: { 'x-api-key': token } }))
        .statusCode,
    ).toBe(404);
  });

  it('without an outbox handler the email is sent inline', async () => {
    const { session } = await setup(false);
    const r = await session.runStage('during');
    expect(r.runs[0]?.outputs).toMatchObject({ saved: true, email: { status: 'sent', attempts: 1 } });
    expect(smtp!.messages).toHaveLength(1);
  });

  // The fake leg records a steady -30.3 dBFS (samples of 1000): kept at the default -45 dBFS, silence
  // below a threshold above it.
  it("a recording quieter than the action's silence_threshold_dbfs is discarded and said so, not kept or announced", async () => {
    const { call, session, fired, config } = await setup(true, { silence_threshold_dbfs: -20 });
    const r = await session.runStage('during');
    expect(r.runs[0]).toMatchObject({
      status: 'succeeded',
      outputs: { saved: false, reason: 'silent', level_dbfs: -30.3, threshold_dbfs: -20 },
    });
    expect((await voicemailsOf(fx.store.sql).list()).total).toBe(0);
    expect(readdirSync(`${config.data.dir}/voicemail`)).toEqual([]);
    expect(fired).toEqual([]);
    const events = (await fx.store.callEvents.list(call.id)).items;
    expect(events.map((e) => e.type)).toEqual(['transcript', 'voicemail-discarded']);
    expect(events[1]?.data).toEqual({
      reason: 'silent',
      duration_ms: 1500,
      end: 'silence',
      level_dbfs: -30.3,
      peak_dbfs: -30.3,
      threshold_dbfs: -20,
    });
    expect(fx.store.db.prepare('SELECT COUNT(*) AS n FROM outbox').get()).toEqual({ n: 0 });
    expect(smtp!.messages).toHaveLength(0);
  });

  it('calls.voicemail_silence_threshold_dbfs is the threshold when the action sets none', async () => {
    const quiet = await setup(false, {}, { calls: { voicemail_silence_threshold_dbfs: -25 } });
    expect((await quiet.session.runStage('during')).runs[0]?.outputs).toMatchObject({
      saved: false,
      reason: 'silent',
      threshold_dbfs: -25,
    });
    await smtp?.close();
    await fx.cleanup();
    const kept = await setup(
      false,
      { silence_threshold_dbfs: -40 },
      { calls: { voicemail_silence_threshold_dbfs: -25 } },
    );
    expect((await kept.session.runStage('during')).runs[0]?.outputs).toMatchObject({ saved: true });
  });

  it('a caller who hangs up at the beep leaves no voicemail', async () => {
    const { session, leg } = await setup(false);
    leg.options.recordMs = 100;
    const r = await session.runStage('during');
    expect(r.runs[0]?.outputs).toEqual({ saved: false, reason: 'too-short' });
    expect((await voicemailsOf(fx.store.sql).list()).total).toBe(0);
    expect(smtp!.messages).toHaveLength(0);
  });
});
