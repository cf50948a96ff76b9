import { CallwrightError } from '../errors.js';
import { maskNumber } from '../logging/logger.js';
import { localParts, weekdayOf } from '../util/zoned-time.js';
import type { CallsSettings } from './calls-config.js';

/** The weekday and minutes since midnight at `now` in time zone `tz` (the shared zoned-time helpers). */
export function localTime(now: Date, tz: string): { day: string; minutes: number; text: string } {
  const t = localParts(now.getTime(), tz);
  const day = weekdayOf(t);
  const clock = `${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;
  return { day, minutes: t.hour * 60 + t.minute, text: `${day[0]?.toUpperCase()}${day.slice(1)} ${clock}` };
}

function minutesOf(clock: string): number {
  const [h, m] = clock.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** True when `now` falls on a calling day, at or after `start` and before `end` (an end before the start spans midnight). */
export function withinCallingHours(now: Date, tz: string, hours: CallsSettings['calling_hours']): boolean {
  const t = localTime(now, tz);
  const start = minutesOf(hours.start);
  const end = minutesOf(hours.end);
  if (!hours.days.includes(t.day as (typeof hours.days)[number])) return false;
  return start <= end ? t.minutes >= start && t.minutes < end : t.minutes >= start || t.minutes < end;
}

/** Refuses a call out of hours with a message saying the callee's local time and the allowed window. */
export function assertCallingHours(
  now: Date,
  number: string,
  tz: string,
  hours: CallsSettings['calling_hours'],
): void {
  if (withinCallingHours(now, tz, hours)) return;
  const local = localTime(now, tz).text;
  throw new CallwrightError(
    'PRECONDITION',
    `calling ${maskNumber(number)} is not allowed now: it is ${local} in ${tz}, calling hours are ` +
      `${hours.start}-${hours.end} on ${hours.days.join(', ') || 'no days'}; nothing was dialled`,
    [
      {
        field: 'to',
        value: maskNumber(number),
        expected: `a callee inside calling hours (calls.calling_hours, ${tz})`,
      },
    ],
  );
}
