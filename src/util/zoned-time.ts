/**
 * Wall-clock arithmetic in IANA time zones on luxon, and the one time-zone rule (`isTimeZone`) that API
 * schemas, CSV import, config and booking share. Local dates are plain `{year, month, day}` values so day
 * stepping never crosses an offset change.
 */
import { DateTime, IANAZone } from 'luxon';

export interface LocalDate {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
}

export interface LocalDateTime extends LocalDate {
  hour: number;
  minute: number;
}

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const TIME_ZONE_EXPECTED = 'an IANA time zone such as Europe/Paris, America/New_York or UTC';

/**
 * True when the IANA time zone database the runtime formats with knows `name` (Europe/Paris, UTC …).
 * Names with surrounding spaces are refused: they would be stored as typed and fail later lookups.
 */
export function isTimeZone(name: string): boolean {
  return name !== '' && name === name.trim() && IANAZone.isValidZone(name);
}

function at(ms: number, zone: string): DateTime {
  return DateTime.fromMillis(ms, { zone });
}

/** The wall clock in `zone` at instant `ms`. */
export function localParts(ms: number, zone: string): LocalDateTime & { second: number } {
  const { year, month, day, hour, minute, second } = at(ms, zone);
  return { year, month, day, hour, minute, second };
}

/** Offset of `zone` from UTC at instant `ms`, in minutes (Paris in summer: +120). */
export function offsetMinutes(ms: number, zone: string): number {
  return at(ms, zone).offset;
}

/**
 * The instant a local date-time names in `zone`. In an overlap (clocks go back) the earlier instant
 * is chosen; a time inside a gap (clocks go forward) does not exist and moves forward by the gap,
 * as RFC 5545 §3.3.5 prescribes for nonexistent local times (luxon does the latter itself).
 */
export function zonedToUtc(local: LocalDateTime, zone: string): number {
  const wall = DateTime.fromObject(
    { year: local.year, month: local.month, day: local.day, hour: local.hour, minute: local.minute },
    { zone },
  );
  // Luxon resolves an ambiguous wall clock to the later offset; RFC 5545 §3.3.5 wants the first occurrence.
  return Math.min(...wall.getPossibleOffsets().map((d) => d.toMillis()), wall.toMillis());
}

function utcDate(date: LocalDate): DateTime {
  return DateTime.fromObject({ year: date.year, month: date.month, day: date.day }, { zone: 'utc' });
}

/** The calendar date `days` after `date` (no zone involved). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const { year, month, day } = utcDate(date).plus({ days });
  return { year, month, day };
}

export function weekdayOf(date: LocalDate): Weekday {
  // Luxon numbers ISO weekdays 1 (Monday) to 7 (Sunday).
  return WEEKDAYS[utcDate(date).weekday % 7] as Weekday;
}

export function isoDate(date: LocalDate): string {
  return `${date.year}-${pad(date.month)}-${pad(date.day)}`;
}

/** `YYYY-MM-DD` to a local date; undefined when malformed or not a real date. */
export function parseIsoDate(text: string): LocalDate | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  return utcDate(date).isValid ? date : undefined;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `2026-03-29T10:00:00+02:00`: the instant as a local ISO 8601 string with the zone's offset. */
export function localIso(ms: number, zone: string): string {
  return at(ms, zone).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
}

/** A time a person reads: `Tuesday, March 10 at 9:00 AM EDT` (locale `en-US` unless given). */
export function displayTime(ms: number, zone: string, locale = 'en-US'): string {
  const text = at(ms, zone).setLocale(locale).toLocaleString({
    weekday: 'long',
    month: 'long',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  // Recent ICU puts U+202F before AM/PM; a plain space keeps SMS texts in the GSM-7 alphabet.
  return text.replace(/[\u202f\u00a0]/g, ' ');
}

/** Parses an ISO 8601 instant with an explicit offset or Z; undefined otherwise. */
export function parseInstant(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(text)) return undefined;
  const parsed = DateTime.fromISO(text, { setZone: true });
  return parsed.isValid ? parsed.toMillis() : undefined;
}
