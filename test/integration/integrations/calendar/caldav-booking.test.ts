import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempStore, testConfig } from '../../../helpers/temp.js';
import { createBookingService } from '../../../../src/integrations/booking/booking-services.js';
import { CalDavCalendar } from '../../../../src/integrations/calendar/caldav-calendar.js';
import { unfold } from '../../../../src/integrations/booking/ics-invite.js';
import { calDavDouble } from './caldav-double.js';

const NOW = Date.parse('2026-03-09T12:00:00Z');
const PATH = '/dav/calendars/martin/work/';

let dav: Awaited<ReturnType<typeof calDavDouble>>;
let t: ReturnType<typeof tempStore>;

function service(password = 'secret') {
  const config = testConfig(t.dir, {
    booking: { calendars: [{ user: 'Dr Martin', url: dav.url, username: 'martin', password }] },
  });
  return createBookingService(config, t.store, { now: () => NOW });
}

beforeEach(async () => {
  dav = await calDavDouble({ user: 'martin', password: 'secret', path: PATH });
  t = tempStore();
  await t.store.users.create({
    name: 'Dr Martin',
    timezone: 'Europe/Paris',
    email: 'martin@clinic.example',
    working_hours: { tue: [{ start: '09:00', end: '12:00' }] },
    slot_minutes: 60,
  });
  // Another commitment, written with a TZID the way calendar apps do: 10:00-11:00 Paris time.
  dav.events.set(
    `${PATH}dentist.ics`,
    [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Other//EN',
      'BEGIN:VEVENT',
      'UID:dentist-1',
      'DTSTAMP:20260301T000000Z',
      'DTSTART;TZID=Europe/Paris:20260310T100000',
      'DTEND;TZID=Europe/Paris:20260310T110000',
      'SUMMARY:Dentist',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n'),
  );
});
afterEach(async () => {
  await dav.close();
  await t.cleanup();
});

describe('CalDAV calendar (RFC 4791) against a local double', () => {
  it('reads busy times by calendar-query REPORT with a time-range and Depth 1, with basic auth', async () => {
    const r = await service().availability({ user: 'Dr Martin', date: '2026-03-10', days: 1 });
    expect(r.slots.map((s) => new Date(s.start).toISOString())).toEqual([
      '2026-03-10T08:00:00.000Z',
      '2026-03-10T10:00:00.000Z',
    ]);
    const report = dav.requests.find((q) => q.method === 'REPORT')!;
    expect(report.url).toBe(PATH);
    expect(report.headers.depth).toBe('1');
    expect(report.headers['content-type']).toMatch(/^application\/xml/);
    expect(report.headers.authorization).toBe('Basic ' + Buffer.from('martin:secret').toString('base64'));
    expect(report.body).toContain('<C:comp-filter name="VEVENT">');
    expect(report.body).toMatch(/<C:time-range start="20260\d{3}T\d{6}Z" end="\d{8}T\d{6}Z"\/>/);
  });

  it('refuses a slot that is busy in the external calendar', async () => {
    await expect(service().book({ user: 'Dr Martin', start: '2026-03-10T09:00:00Z' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(dav.requests.some((q) => q.method === 'PUT')).toBe(false);
  });

  it('writes a booking with PUT If-None-Match: * as text/calendar without METHOD; reschedule re-PUTs, cancel DELETEs', async () => {
    const s = service();
    const booked = await s.book({
      user: 'Dr Martin',
      start: '2026-03-10T08:00:00Z',
      zone: 'America/New_York',
    });
    const href = `${PATH}${encodeURIComponent(`${booked.appointment.id}@callwright`)}.ics`;
    const put = dav.requests.find((q) => q.method === 'PUT')!;
    expect(put.url).toBe(href);
    expect(put.headers['if-none-match']).toBe('*');
    expect(put.headers['content-type']).toBe('text/calendar; charset=utf-8');
    const stored = unfold(dav.events.get(href)!);
    expect(stored).toContain(`UID:${booked.appointment.id}@callwright`);
    expect(stored).toContain('DTSTART:20260310T080000Z');
    expect(stored.some((l) => l.startsWith('METHOD:'))).toBe(false);
    expect(booked.appointment.external_id).toBe(`${booked.appointment.id}@callwright`);

    const moved = await s.reschedule({ appointmentId: booked.appointment.id, start: '2026-03-10T10:00:00Z' });
    expect(moved.appointment.starts_at).toBe('2026-03-10T10:00:00.000Z');
    const reput = dav.requests.filter((q) => q.method === 'PUT')[1]!;
    expect(reput.headers['if-none-match']).toBeUndefined();
    expect(unfold(dav.events.get(href)!)).toContain('DTSTART:20260310T100000Z');

    await s.cancel({ appointmentId: booked.appointment.id });
    expect(dav.requests.at(-1)).toMatchObject({ method: 'DELETE', url: href });
    expect(dav.events.has(href)).toBe(false);
  });

  it('two concurrent bookings of one slot: one wins, one CONFLICT, one event in the calendar', async () => {
    const s = service();
    const results = await Promise.allSettled([
      s.book({ user: 'Dr Martin', start: '2026-03-10T08:00:00Z' }),
      s.book({ user: 'Dr Martin', start: '2026-03-10T08:00:00Z' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toMatchObject({ code: 'CONFLICT' });
    expect([...dav.events.keys()].filter((k) => k.includes('callwright'))).toHaveLength(1);
  });

  it('gives the slot back when the calendar refuses the event, and names the status and body', async () => {
    dav.failNextPut();
    const s = service();
    await expect(s.book({ user: 'Dr Martin', start: '2026-03-10T08:00:00Z' })).rejects.toMatchObject({
      code: 'UNREACHABLE',
      status: 507,
      retryable: true,
      message: expect.stringContaining('507: insufficient storage'),
    });
    expect((await s.appointments.search({}, {})).total).toBe(0);
    await s.book({ user: 'Dr Martin', start: '2026-03-10T08:00:00Z' });
  });

  it('a wrong password is an AUTH failure that is not retried; credentials never appear in the name', async () => {
    await expect(service('wrong').availability({ user: 'Dr Martin' })).rejects.toMatchObject({
      code: 'AUTH',
      status: 401,
      retryable: false,
    });
    const cal = new CalDavCalendar({
      url: dav.url,
      username: 'martin',
      password: 'secret',
      timeoutMs: 1000,
      zone: 'UTC',
    });
    expect(cal.name).not.toContain('secret');
    await cal.delete('missing-uid');
  });
});
