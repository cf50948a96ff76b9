import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { pino } from 'pino';
import { attacher } from '../../../helpers/attach.js';
import { tempDir, testConfig } from '../../../helpers/temp.js';
import { Store } from '../../../../src/store/store.js';
import { createActionEngine } from '../../../../src/actions/action-engine.js';
import { defineActionType } from '../../../../src/actions/action-type.js';
import { createBookingService } from '../../../../src/integrations/booking/booking-services.js';
import { unfold } from '../../../../src/integrations/booking/ics-invite.js';
import { buildApi } from '../../../../src/api/app.js';
import type { Stage } from '../../../../src/store/store.js';

const NOW = Date.parse('2026-03-09T12:00:00Z'); // Monday; New York is on EDT, Paris still on CET
const here = path.dirname(fileURLToPath(import.meta.url));

/** A send-sms stand-in: the engine renders its body template, the test reads what would be sent. */
function smsDouble(sent: Array<{ to: string; body: string }>) {
  return defineActionType({
    name: 'test-sms',
    title: 'SMS double',
    description: 'Records the rendered SMS',
    configSchema: Type.Object({ to: Type.String(), body: Type.String() }),
    stages: ['during', 'after'],
    async exec(ctx) {
      sent.push({ to: ctx.config.to, body: ctx.config.body });
      return { sent: true };
    },
  });
}

async function fixture() {
  const t = tempDir();
  const config = testConfig(t.dir, { booking: { horizon_days: 30, min_notice_minutes: 60 } });
  const store = Store.open(path.join(t.dir, 'cw.db'));
  const sent: Array<{ to: string; body: string }> = [];
  const booking = createBookingService(config, store, { now: () => NOW });
  const engine = createActionEngine({
    store,
    logger: pino({ level: 'silent' }),
    types: [smsDouble(sent)],
    actions: config.actions,
    outbox: config.outbox,
    clock: { now: () => NOW },
    services: { booking },
  });
  const user = await store.users.create({
    name: 'Dr Martin',
    email: 'martin@clinic.example',
    timezone: 'Europe/Paris',
    working_hours: {
      mon: [{ start: '09:00', end: '12:00' }],
      tue: [{ start: '09:00', end: '12:00' }],
      wed: [{ start: '09:00', end: '12:00' }],
    },
    slot_minutes: 30,
  });
  const agent = await store.agents.create({ name: 'desk', kind: 'scripted' });
  const attachAction = attacher(store, engine, agent.id);
  const attach = async (
    name: string,
    type: string,
    cfg: Record<string, unknown>,
    stage: Stage,
    triggers: unknown[] = [],
  ): Promise<void> => {
    await attachAction(name, type, cfg, stage, { triggers });
  };
  const caller = (phone: string, first: string) =>
    store.contacts.create({
      phone,
      first_name: first,
      email: `${first.toLowerCase()}@example.com`,
      timezone: 'America/New_York',
    });
  const call = (contactId: string, from: string) =>
    store.calls.create({
      direction: 'inbound',
      from_number: from,
      to_number: '+33100000000',
      agent_id: agent.id,
      contact_id: contactId,
      started_at: new Date(NOW).toISOString(),
    });
  const cleanup = async () => {
    await store.close();
    t.cleanup();
  };
  return { dir: t.dir, config, store, engine, booking, user, agent, attach, caller, call, sent, cleanup };
}

let fx: Awaited<ReturnType<typeof fixture>>;
beforeEach(async () => {
  fx = await fixture();
});
afterEach(async () => {
  await fx.cleanup();
});

describe('booking across time zones', () => {
  it('a New York caller sees a Paris user’s slots in New York time and the SMS and ICS show the right times', async () => {
    await fx.attach('check', 'check-availability', { user: 'Dr Martin' }, 'during', [{ kind: 'tool' }]);
    await fx.attach(
      'book',
      'book-appointment',
      { user: 'Dr Martin', start: '{{ data.slot | default: "" }}' },
      'during',
    );
    await fx.attach(
      'confirm',
      'test-sms',
      {
        to: '{{ call.from }}',
        body:
          'Hi {{ contact.first_name }}, you are booked with {{ actions.book.user_name }} on ' +
          '{{ actions.book.caller_display }} (your time), {{ actions.book.user_time }} in Paris.',
      },
      'during',
    );
    const john = await fx.caller('+12125550100', 'John');
    const c1 = await fx.call(john.id, john.phone);
    const s1 = await fx.engine.session({
      agentId: fx.agent.id,
      callId: c1.id,
      contactId: john.id,
      from: john.phone,
    });
    const listed = await s1.callTool('check', { date: '2026-03-10' });
    expect(listed).toMatchObject({ ok: true });
    const out = (listed as { outputs: Record<string, unknown> }).outputs;
    expect(out.caller_timezone).toBe('America/New_York');
    const slots = out.slots as Array<Record<string, string>>;
    // Paris 09:00 CET = 08:00Z = 04:00 EDT: a 5-hour gap while only the US has moved its clocks.
    expect(slots[0]).toMatchObject({
      start: '2026-03-10T08:00:00.000Z',
      caller_local: '2026-03-10T04:00:00-04:00',
      caller_time: '04:00',
      user_local: '2026-03-10T09:00:00+01:00',
      user_time: '09:00',
    });
    expect(slots).toHaveLength(6);
    expect(slots.every((s) => s.caller_date === '2026-03-10')).toBe(true);

    const s2 = await fx.engine.session({
      agentId: fx.agent.id,
      callId: c1.id,
      contactId: john.id,
      from: john.phone,
      data: { slot: slots[0]!.caller_local },
    });
    const run = await s2.runStage('during');
    const book = run.runs.find((r) => r.action === 'book')!;
    expect(book.status).toBe('succeeded');
    expect(fx.sent).toHaveLength(1);
    expect(fx.sent[0]!.to).toBe('+12125550100');
    expect(fx.sent[0]!.body).toMatch(
      /^Hi John, you are booked with Dr Martin on Tuesday, March 10(,| at) 4:00 AM EDT \(your time\), 09:00 in Paris\.$/,
    );
    const o = book.outputs;
    expect(o).toMatchObject({
      starts_at: '2026-03-10T08:00:00.000Z',
      ends_at: '2026-03-10T08:30:00.000Z',
      user_timezone: 'Europe/Paris',
    });
    const ics = readFileSync(String(o.ics_path), 'utf8');
    expect(ics).toBe(o.ics);
    expect(path.dirname(String(o.ics_path))).toBe(path.join(fx.dir, 'ics'));
    const lines = unfold(ics);
    expect(lines).toContain('METHOD:REQUEST');
    expect(lines).toContain('DTSTART:20260310T080000Z');
    expect(lines).toContain('DTEND:20260310T083000Z');
    expect(lines).toContain('ORGANIZER;CN=Dr Martin:mailto:martin@clinic.example');
    expect(
      lines.some((l) => l.startsWith('ATTENDEE;CN=John') && l.endsWith(':mailto:john@example.com')),
    ).toBe(true);
    const row = await fx.booking.appointments.require(String(o.appointment_id));
    expect(row).toMatchObject({
      contact_id: john.id,
      call_id: c1.id,
      timezone: 'America/New_York',
      status: 'booked',
    });
  });

  it('after Paris moves its clocks too the gap is 6 hours again (DST edge)', async () => {
    const ny = await fx.caller('+12125550101', 'Ann');
    const r = await fx.booking.availability({
      user: fx.user.id,
      zone: 'America/New_York',
      date: '2026-03-30',
      days: 1,
    });
    // Monday 2026-03-30 09:00 CEST = 07:00Z = 03:00 EDT.
    expect(new Date(r.slots[0]!.start).toISOString()).toBe('2026-03-30T07:00:00.000Z');
    const booked = await fx.booking.book({
      user: fx.user.id,
      start: '2026-03-30T03:00:00-04:00',
      zone: 'America/New_York',
      contactId: ny.id,
    });
    expect(booked.appointment.starts_at).toBe('2026-03-30T07:00:00.000Z');
    expect(unfold(booked.invite.ics)).toContain('DTSTART:20260330T070000Z');
  });

  it('refuses a second booking of the same slot (CONFLICT, not retried) and a slot outside working hours', async () => {
    await fx.attach('book', 'book-appointment', { user: 'Dr Martin', start: '{{ data.slot }}' }, 'during');
    const a = await fx.caller('+12125550102', 'Amy');
    const b = await fx.caller('+12125550103', 'Bob');
    const slot = '2026-03-10T04:00:00-04:00';
    const firstCall = await fx.call(a.id, a.phone);
    const first = await (
      await fx.engine.session({ agentId: fx.agent.id, callId: firstCall.id, contactId: a.id, data: { slot } })
    ).runStage('during');
    expect(first.runs[0]?.status).toBe('succeeded');
    const secondCall = await fx.call(b.id, b.phone);
    const second = await (
      await fx.engine.session({
        agentId: fx.agent.id,
        callId: secondCall.id,
        contactId: b.id,
        data: { slot: '2026-03-10T08:15:00Z' },
      })
    ).runStage('during');
    expect(second.runs[0]?.status).toBe('failed');
    expect(second.runs[0]?.error).toMatchObject({ code: 'CONFLICT', retryable: false });
    expect(second.runs[0]?.attempts).toBe(1);
    await expect(fx.booking.book({ user: fx.user.id, start: '2026-03-10T13:00:00Z' })).rejects.toThrow(
      /working hours/,
    );
    expect((await fx.booking.appointments.search({}, { user_id: fx.user.id })).total).toBe(1);
  });

  it('two processes booking the same slot at once: exactly one succeeds', async () => {
    const barrier = path.join(fx.dir, 'go');
    const dbFile = path.join(fx.dir, 'cw.db');
    const start = '2026-03-11T08:00:00Z';
    const readyCount = new Set<number>();
    const children = [0, 1].map(() =>
      spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(here, 'fixtures', 'book-once.ts'),
          dbFile,
          barrier,
          fx.user.id,
          start,
          new Date(NOW).toISOString(),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    const outputs = children.map(
      (child) =>
        new Promise<string[]>((resolve, reject) => {
          let text = '';
          child.stdout.on('data', (d: Buffer) => {
            text += d.toString();
            if (text.includes('ready\n')) readyCount.add(child.pid!);
            if (readyCount.size === 2) writeFileSync(barrier, 'go');
          });
          child.stderr.on('data', (d: Buffer) => (text += d.toString()));
          child.on('exit', (code) =>
            code === 0 ? resolve(text.trim().split('\n')) : reject(new Error(text)),
          );
        }),
    );
    const results = (await Promise.all(outputs)).map(
      (lines) => JSON.parse(lines[lines.length - 1]!) as { ok: boolean; code?: string },
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual([{ ok: false, code: 'CONFLICT' }]);
    expect((await fx.booking.appointments.search({}, { user_id: fx.user.id, status: 'booked' })).total).toBe(
      1,
    );
  }, 30000);

  it('reschedules and cancels with outputs for the confirmation and a CANCEL invite', async () => {
    await fx.attach(
      'move',
      'reschedule-appointment',
      { appointment_id: '{{ data.id }}', start: '{{ data.slot }}' },
      'during',
    );
    const ann = await fx.caller('+12125550104', 'Ann');
    const first = await fx.booking.book({
      user: fx.user.id,
      start: '2026-03-10T08:00:00Z',
      zone: 'America/New_York',
      contactId: ann.id,
    });
    const moved = await (
      await fx.engine.session({
        agentId: fx.agent.id,
        contactId: ann.id,
        data: { id: first.appointment.id, slot: '2026-03-10T09:00:00Z' },
      })
    ).runStage('during');
    expect(moved.runs[0]?.outputs).toMatchObject({
      caller_time: '05:00',
      user_time: '10:00',
      status: 'booked',
    });
    // The old slot is free again, the new one taken.
    await fx.booking.book({ user: fx.user.id, start: '2026-03-10T08:00:00Z' });
    await expect(fx.booking.book({ user: fx.user.id, start: '2026-03-10T09:00:00Z' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    const cancelled = await fx.booking.cancel({ appointmentId: first.appointment.id });
    expect(cancelled.appointment.status).toBe('cancelled');
    expect(unfold(cancelled.invite.ics)).toEqual(
      expect.arrayContaining(['METHOD:CANCEL', 'STATUS:CANCELLED', 'DTSTART:20260310T090000Z']),
    );
    await fx.booking.book({ user: fx.user.id, start: '2026-03-10T09:00:00Z' });
  });

  it('GET /appointments filters by user, contact and local day; GET /appointments/:id reads one', async () => {
    const ann = await fx.caller('+12125550105', 'Ann');
    const a1 = await fx.booking.book({ user: fx.user.id, start: '2026-03-10T08:00:00Z', contactId: ann.id });
    await fx.booking.book({ user: fx.user.id, start: '2026-03-11T08:00:00Z' });
    const { token } = await fx.store.apiKeys.create('test');
    const api = await buildApi({ store: fx.store, config: fx.config, actionEngine: fx.engine });
    const get = async (url: string) => {
      const res = await api.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      return {
        status: res.statusCode,
        body: res.json() as Record<string, unknown> & { items: Array<{ id: string }>; total: number },
      };
    };
    try {
      expect((await get(`/appointments?user_id=${fx.user.id}`)).body.total).toBe(2);
      expect((await get(`/appointments?contact_id=${ann.id}`)).body.items.map((i) => i.id)).toEqual([
        a1.appointment.id,
      ]);
      const day = await get('/appointments?date=2026-03-10&timezone=America/New_York');
      expect(day.body.items.map((i) => i.id)).toEqual([a1.appointment.id]);
      expect((await get('/appointments?from=2026-03-11T00:00:00Z')).body.total).toBe(1);
      const one = await get(`/appointments/${a1.appointment.id}`);
      expect(one.body).toMatchObject({
        id: a1.appointment.id,
        starts_at: '2026-03-10T08:00:00.000Z',
        status: 'booked',
      });
      expect((await get('/appointments/apt_missing')).status).toBe(404);
      const bad = await get('/appointments?date=2026-02-30');
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('date');
      const badZone = await get('/appointments?date=2026-03-10&timezone=Mars/Base');
      expect(badZone.body).toMatchObject({ code: 'VALIDATION' });
    } finally {
      await api.close();
    }
  });
});
