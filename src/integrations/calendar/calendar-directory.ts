import type { BookingSettings } from '../../config/schema.js';
import type { UserRecord } from '../../store/store.js';
import { CalDavCalendar } from './caldav-calendar.js';
import type { ExternalCalendar } from './external-calendar.js';

/** Finds the external calendar of a user, if one is configured. */
export type CalendarLookup = (user: UserRecord) => ExternalCalendar | undefined;

/**
 * The `booking.calendars` entries as a lookup by user id or name. One client per entry, created on
 * first use, so a bad URL only fails the bookings of that user (with the error naming the entry).
 */
export function calendarsFromConfig(
  settings: Pick<BookingSettings, 'calendars' | 'caldav_timeout_ms'>,
  fetchFn?: typeof fetch,
): CalendarLookup {
  const clients = new Map<number, ExternalCalendar>();
  return (user) => {
    const index = settings.calendars.findIndex((c) => c.user === user.id || c.user === user.name);
    if (index < 0) return undefined;
    let client = clients.get(index);
    if (!client) {
      const entry = settings.calendars[index]!;
      client = new CalDavCalendar({
        url: entry.url,
        username: entry.username,
        password: entry.password,
        timeoutMs: settings.caldav_timeout_ms,
        zone: user.timezone || 'UTC',
        ...(fetchFn ? { fetch: fetchFn } : {}),
      });
      clients.set(index, client);
    }
    return client;
  };
}
