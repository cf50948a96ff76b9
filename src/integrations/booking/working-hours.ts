import {
  WEEKDAYS,
  addDays,
  localParts,
  weekdayOf,
  zonedToUtc,
  type LocalDate,
  type Weekday,
} from '../../util/zoned-time.js';

/** Working hours per weekday in the user's zone: `{ mon: [{start: '09:00', end: '12:00'}, …], … }`. */
export type WorkingHours = Partial<Record<Weekday, Array<{ start: string; end: string }>>>;

/** A bookable period as UTC instants (milliseconds). */
export interface Interval {
  start: number;
  end: number;
}

/** Minutes after midnight of `HH:MM` (`24:00` = end of day); undefined when malformed. */
export function minutesOf(hhmm: string): number | undefined {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h === 24 && min === 0) return 1440;
  return h < 24 && min < 60 ? h * 60 + min : undefined;
}

/** The stored JSON narrowed to well-formed intervals; anything else is ignored, not trusted. */
export function normaliseHours(raw: unknown): WorkingHours {
  const out: WorkingHours = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const day of WEEKDAYS) {
    const list = (raw as Record<string, unknown>)[day];
    if (!Array.isArray(list)) continue;
    const intervals = list.filter(
      (i): i is { start: string; end: string } =>
        !!i &&
        typeof i === 'object' &&
        typeof (i as { start?: unknown }).start === 'string' &&
        typeof (i as { end?: unknown }).end === 'string',
    );
    if (intervals.length) out[day] = intervals.map((i) => ({ start: i.start, end: i.end }));
  }
  return out;
}

export function hasHours(hours: WorkingHours): boolean {
  return WEEKDAYS.some((d) => (hours[d]?.length ?? 0) > 0);
}

/**
 * Slot starts of one local date: each working interval cut into `slotMinutes` pieces that fit
 * whole, each converted to UTC through the zone. Steps are wall-clock minutes, so a DST change
 * that day moves the instants, not the local times the user works.
 */
export function slotsOfDay(
  date: LocalDate,
  hours: WorkingHours,
  zone: string,
  slotMinutes: number,
): Interval[] {
  const out: Interval[] = [];
  for (const { start, end } of hours[weekdayOf(date)] ?? []) {
    const from = minutesOf(start);
    const to = minutesOf(end);
    if (from === undefined || to === undefined || to <= from) continue;
    for (let m = from; m + slotMinutes <= to; m += slotMinutes) {
      const s = zonedToUtc({ ...date, hour: Math.floor(m / 60), minute: m % 60 }, zone);
      const endLocal = m + slotMinutes;
      const e =
        endLocal === 1440
          ? zonedToUtc({ ...addDays(date, 1), hour: 0, minute: 0 }, zone)
          : zonedToUtc({ ...date, hour: Math.floor(endLocal / 60), minute: endLocal % 60 }, zone);
      // A slot whose start falls in a DST gap would collapse onto the next one: skip it.
      if (e > s && !out.some((o) => o.start === s)) out.push({ start: s, end: e });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

/** True when [start, end) lies inside one working interval of the local day it starts on. */
export function withinHours(interval: Interval, hours: WorkingHours, zone: string): boolean {
  const day = localParts(interval.start, zone);
  for (const { start, end } of hours[weekdayOf(day)] ?? []) {
    const from = minutesOf(start);
    const to = minutesOf(end);
    if (from === undefined || to === undefined) continue;
    const s = zonedToUtc({ ...day, hour: Math.floor(from / 60), minute: from % 60 }, zone);
    const e =
      to === 1440
        ? zonedToUtc({ ...addDays(day, 1), hour: 0, minute: 0 }, zone)
        : zonedToUtc({ ...day, hour: Math.floor(to / 60), minute: to % 60 }, zone);
    if (interval.start >= s && interval.end <= e) return true;
  }
  return false;
}

export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}
