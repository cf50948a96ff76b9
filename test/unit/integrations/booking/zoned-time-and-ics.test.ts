import { describe, expect, it } from 'vitest';
import { displayTime, localIso, offsetMinutes, zonedToUtc } from '../../../../src/util/zoned-time.js';
import { slotsOfDay, withinHours } from '../../../../src/integrations/booking/working-hours.js';
import { buildIcs, foldLine, unfold } from '../../../../src/integrations/booking/ics-invite.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('zoned time', () => {
  it.each([
    ['Europe/Paris', '2026-01-15T12:00:00Z', 60],
    ['Europe/Paris', '2026-07-15T12:00:00Z', 120],
    ['America/New_York', '2026-01-15T12:00:00Z', -300],
    ['America/New_York', '2026-07-15T12:00:00Z', -240],
    ['Asia/Kolkata', '2026-07-15T12:00:00Z', 330],
  ])('offset of %s at %s is %i minutes', (zone, at, off) => {
    expect(offsetMinutes(Date.parse(at), zone)).toBe(off);
  });

  it('maps local wall clock to UTC on both sides of a DST change', () => {
    // Paris springs forward on 2026-03-29 at 02:00 -> 03:00.
    expect(iso(zonedToUtc({ year: 2026, month: 3, day: 28, hour: 9, minute: 0 }, 'Europe/Paris'))).toBe(
      '2026-03-28T08:00:00.000Z',
    );
    expect(iso(zonedToUtc({ year: 2026, month: 3, day: 30, hour: 9, minute: 0 }, 'Europe/Paris'))).toBe(
      '2026-03-30T07:00:00.000Z',
    );
  });

  it('moves a time inside a spring-forward gap forward and picks the earlier of an overlap (RFC 5545 §3.3.5)', () => {
    // New York 2026-03-08 02:30 does not exist: it is 03:30 EDT.
    const gap = zonedToUtc({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, 'America/New_York');
    expect(localIso(gap, 'America/New_York')).toBe('2026-03-08T03:30:00-04:00');
    // New York 2026-11-01 01:30 happens twice: the first (EDT) is chosen.
    const overlap = zonedToUtc({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, 'America/New_York');
    expect(iso(overlap)).toBe('2026-11-01T05:30:00.000Z');
  });

  it('renders a time a person reads, with the zone abbreviation', () => {
    // ICU joins date and time with "," or " at" depending on its version.
    expect(displayTime(Date.parse('2026-03-10T08:00:00Z'), 'America/New_York')).toMatch(
      /^Tuesday, March 10(,| at) 4:00\s?AM EDT$/,
    );
  });
});

describe('slots across DST', () => {
  const hours = { sun: [{ start: '09:00', end: '11:00' }], mon: [{ start: '09:00', end: '11:00' }] };

  it('keeps the user local hours on the day Paris changes clocks; the UTC instants shift by an hour', () => {
    const sunday = slotsOfDay({ year: 2026, month: 3, day: 29 }, hours, 'Europe/Paris', 60);
    expect(sunday.map((s) => localIso(s.start, 'Europe/Paris'))).toEqual([
      '2026-03-29T09:00:00+02:00',
      '2026-03-29T10:00:00+02:00',
    ]);
    expect(iso(sunday[0]!.start)).toBe('2026-03-29T07:00:00.000Z');
    const before = slotsOfDay({ year: 2026, month: 3, day: 23 }, hours, 'Europe/Paris', 60);
    expect(iso(before[0]!.start)).toBe('2026-03-23T08:00:00.000Z');
  });

  it('a night shift over the gap has one slot less (02:00-03:00 does not exist)', () => {
    const night = { sun: [{ start: '01:00', end: '04:00' }] };
    const slots = slotsOfDay({ year: 2026, month: 3, day: 29 }, night, 'Europe/Paris', 60);
    expect(slots.map((s) => localIso(s.start, 'Europe/Paris'))).toEqual([
      '2026-03-29T01:00:00+01:00',
      '2026-03-29T03:00:00+02:00',
    ]);
    expect(slots.every((s) => s.end - s.start === 3600000)).toBe(true);
  });

  it('checks a slot against working hours in the user zone', () => {
    const start = Date.parse('2026-03-30T07:00:00Z'); // Monday 09:00 Paris (CEST)
    expect(withinHours({ start, end: start + 3600000 }, hours, 'Europe/Paris')).toBe(true);
    expect(withinHours({ start: start + 2 * 3600000, end: start + 3 * 3600000 }, hours, 'Europe/Paris')).toBe(
      false,
    );
  });
});

describe('ICS (RFC 5545)', () => {
  const ics = buildIcs({
    uid: 'apt_1@callwright',
    start: Date.parse('2026-03-10T08:00:00Z'),
    end: Date.parse('2026-03-10T08:30:00Z'),
    stamp: Date.parse('2026-03-09T12:00:00Z'),
    summary: 'Consultation; follow-up, with Dr. Ève Martin — a long title that must be folded at 75 octets',
    organizer: { uri: 'mailto:eve@clinic.example', name: 'Eve Martin' },
    attendees: [{ uri: 'mailto:john@example.com', name: 'John Doe' }],
    method: 'REQUEST',
  });

  it('has the calendar and event properties, UTC times and CRLF line ends', () => {
    expect(ics.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:')).toBe(true);
    expect(ics).toContain('\r\nMETHOD:REQUEST\r\n');
    expect(ics).toContain('\r\nUID:apt_1@callwright\r\n');
    expect(ics).toContain('\r\nDTSTAMP:20260309T120000Z\r\n');
    expect(ics).toContain('\r\nDTSTART:20260310T080000Z\r\n');
    expect(ics).toContain('\r\nDTEND:20260310T083000Z\r\n');
    expect(ics).toContain('\r\nORGANIZER;CN=Eve Martin:mailto:eve@clinic.example\r\n');
    expect(unfold(ics)).toContain(
      'ATTENDEE;CN=John Doe;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:john@example.com',
    );
    expect(ics.endsWith('END:VEVENT\r\nEND:VCALENDAR\r\n')).toBe(true);
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/\n/);
  });

  it('folds every line at 75 octets without splitting a UTF-8 character, and unfolds back', () => {
    for (const line of ics.split('\r\n')) expect(Buffer.byteLength(line, 'utf8')).toBeLessThanOrEqual(75);
    const summary = unfold(ics).find((l) => l.startsWith('SUMMARY:'));
    expect(summary).toBe(
      'SUMMARY:Consultation\\; follow-up\\, with Dr. Ève Martin — a long title that must be folded at 75 octets',
    );
    const folded = foldLine('X:' + 'é'.repeat(100));
    for (const part of folded.split('\r\n')) expect(Buffer.byteLength(part, 'utf8')).toBeLessThanOrEqual(75);
    expect(folded).not.toContain('\uFFFD');
  });

  it('a cancellation says METHOD:CANCEL and STATUS:CANCELLED', () => {
    const cancel = buildIcs({
      uid: 'u',
      start: 0,
      end: 1000,
      stamp: 0,
      summary: 's',
      method: 'CANCEL',
      sequence: 3,
    });
    expect(cancel).toContain('METHOD:CANCEL\r\n');
    expect(cancel).toContain('STATUS:CANCELLED\r\n');
    expect(cancel).toContain('SEQUENCE:3\r\n');
  });
});
