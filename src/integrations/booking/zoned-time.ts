/**
 * Wall-clock arithmetic in IANA time zones with nothing but `Intl.DateTimeFormat`: the offset of a zone
 * at an instant, the instant of a local date-time (DST gaps and overlaps handled), and rendering.
 * Local dates are plain `{year, month, day}` values so day stepping never crosses an offset change.
 */

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

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(zone: string): Intl.DateTimeFormat {
  let f = partsFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormatters.set(zone, f);
  }
  return f;
}

/** True when the runtime knows the IANA zone name. */
export function isTimeZone(zone: string): boolean {
  try {
    partsFormatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock in `zone` at instant `ms`. */
export function localParts(ms: number, zone: string): LocalDateTime & { second: number } {
  const out: Record<string, number> = {};
  for (const p of partsFormatter(zone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return {
    year: out.year ?? 1970,
    month: out.month ?? 1,
    day: out.day ?? 1,
    hour: (out.hour ?? 0) % 24,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

/** Offset of `zone` from UTC at instant `ms`, in minutes (Paris in summer: +120). */
export function offsetMinutes(ms: number, zone: string): number {
  const p = localParts(ms, zone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

/**
 * The instant a local date-time names in `zone`. In an overlap (clocks go back) the earlier instant
 * is chosen; a time inside a gap (clocks go forward) does not exist and moves forward by the gap,
 * as RFC 5545 §3.3.5 prescribes for nonexistent local times.
 */
export function zonedToUtc(local: LocalDateTime, zone: string): number {
  const naive = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  const before = offsetMinutes(naive - 36 * 3600000, zone);
  const after = offsetMinutes(naive + 36 * 3600000, zone);
  // Try both offsets in effect around that day; keep those that read back as the same wall clock.
  const candidates = [...new Set([before, after])]
    .map((off) => naive - off * 60000)
    .filter((ms) => sameWallClock(localParts(ms, zone), local))
    .sort((a, b) => a - b);
  if (candidates.length) return candidates[0] as number;
  // Gap: the earlier offset applied to the wall time gives the instant just after the jump.
  return naive - before * 60000;
}

function sameWallClock(a: LocalDateTime, b: LocalDateTime): boolean {
  return (
    a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute
  );
}

/** The calendar date `days` after `date` (no zone involved). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function weekdayOf(date: LocalDate): Weekday {
  return WEEKDAYS[new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay()] as Weekday;
}

export function isoDate(date: LocalDate): string {
  return `${date.year}-${pad(date.month)}-${pad(date.day)}`;
}

/** `YYYY-MM-DD` to a local date; undefined when malformed or not a real date. */
export function parseIsoDate(text: string): LocalDate | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  const back = addDays(date, 0);
  return back.month === date.month && back.day === date.day ? date : undefined;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `2026-03-29T10:00:00+02:00`: the instant as a local ISO 8601 string with the zone's offset. */
export function localIso(ms: number, zone: string): string {
  const p = localParts(ms, zone);
  const off = offsetMinutes(ms, zone);
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(off);
  return `${isoDate(p)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const displayFormatters = new Map<string, Intl.DateTimeFormat>();

/** A time a person reads: `Tuesday, March 10 at 9:00 AM EDT` (locale `en-US` unless given). */
export function displayTime(ms: number, zone: string, locale = 'en-US'): string {
  const key = `${locale}|${zone}`;
  let f = displayFormatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      timeZone: zone,
      weekday: 'long',
      month: 'long',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      timeZoneName: 'short',
    });
    displayFormatters.set(key, f);
  }
  // Recent ICU puts U+202F before AM/PM; a plain space keeps SMS texts in the GSM-7 alphabet.
  return f.format(new Date(ms)).replace(/[\u202f\u00a0]/g, ' ');
}

/** Parses an ISO 8601 instant with an explicit offset or Z; undefined otherwise. */
export function parseInstant(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
