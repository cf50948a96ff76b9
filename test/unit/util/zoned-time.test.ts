import { describe, expect, it } from 'vitest';
import {
  addDays,
  localIso,
  localParts,
  parseInstant,
  parseIsoDate,
  weekdayOf,
  zonedToUtc,
} from '../../../src/util/zoned-time.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('zoned time on luxon', () => {
  it('picks the first of the two instants of an autumn overlap in Paris (RFC 5545 §3.3.5), not luxon’s later one', () => {
    // Paris falls back on 2026-10-25 at 03:00 CEST -> 02:00 CET: 02:30 happens twice.
    const t = zonedToUtc({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Paris');
    expect(iso(t)).toBe('2026-10-25T00:30:00.000Z');
    expect(localIso(t, 'Europe/Paris')).toBe('2026-10-25T02:30:00+02:00');
  });

  it('moves a time inside the Paris spring gap forward by the gap', () => {
    const t = zonedToUtc({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Paris');
    expect(localIso(t, 'Europe/Paris')).toBe('2026-03-29T03:30:00+02:00');
  });

  it('writes UTC with a +00:00 offset, as before', () => {
    expect(localIso(Date.parse('2026-01-01T00:00:00Z'), 'UTC')).toBe('2026-01-01T00:00:00+00:00');
  });

  it('reads the wall clock in a zone', () => {
    expect(localParts(Date.parse('2026-07-15T12:00:30Z'), 'Asia/Kolkata')).toEqual({
      year: 2026,
      month: 7,
      day: 15,
      hour: 17,
      minute: 30,
      second: 30,
    });
  });

  it('steps calendar days across month and year ends and names the weekday', () => {
    expect(addDays({ year: 2026, month: 12, day: 31 }, 1)).toEqual({ year: 2027, month: 1, day: 1 });
    expect(addDays({ year: 2028, month: 3, day: 1 }, -1)).toEqual({ year: 2028, month: 2, day: 29 });
    expect(weekdayOf({ year: 2026, month: 3, day: 29 })).toBe('sun');
    expect(weekdayOf({ year: 2026, month: 3, day: 30 })).toBe('mon');
  });

  it.each(['2026-02-30', '2026-13-01', '2026-1-01', '26-01-01'])('refuses the date %s', (text) => {
    expect(parseIsoDate(text)).toBeUndefined();
  });

  it.each([
    ['2026-03-10T08:00:00Z', '2026-03-10T08:00:00.000Z'],
    ['2026-03-10T08:00:00z', '2026-03-10T08:00:00.000Z'],
    ['2026-03-10T09:00+01:00', '2026-03-10T08:00:00.000Z'],
    ['2026-03-10T08:00:00.250Z', '2026-03-10T08:00:00.250Z'],
  ])('reads the instant %s', (text, expected) => {
    expect(iso(parseInstant(text)!)).toBe(expected);
  });

  it.each(['2026-03-10T08:00:00', '2026-03-10', '2026-02-30T08:00:00Z'])(
    'refuses %s as an instant',
    (text) => {
      expect(parseInstant(text)).toBeUndefined();
    },
  );
});
