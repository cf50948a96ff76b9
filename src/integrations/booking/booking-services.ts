import path from 'node:path';
import type { Config } from '../../config/schema.js';
import type { Store } from '../../store/store.js';
import { calendarsFromConfig } from '../calendar/calendar-directory.js';
import { BookingService, type BookingOptions } from './booking-service.js';

/**
 * Settings used when an engine was composed without a booking service (the CLI, tests): the same
 * values as `config/default.yaml`, with invites returned as text only.
 */
export const DEFAULT_BOOKING_OPTIONS: BookingOptions = {
  horizon_days: 14,
  min_notice_minutes: 60,
  max_slots: 8,
  default_slot_minutes: 30,
  default_working_hours: {
    mon: [{ start: '09:00', end: '17:00' }],
    tue: [{ start: '09:00', end: '17:00' }],
    wed: [{ start: '09:00', end: '17:00' }],
    thu: [{ start: '09:00', end: '17:00' }],
    fri: [{ start: '09:00', end: '17:00' }],
  },
  organizer_email: '',
};

/** The `booking` service of the action services bag, built from config (ICS folder, CalDAV calendars). */
export function createBookingService(
  config: Pick<Config, 'booking' | 'data'>,
  store: Store,
  options: { fetch?: typeof fetch; now?: () => number } = {},
): BookingService {
  const { booking } = config;
  return new BookingService({
    store,
    options: booking,
    icsDir: booking.ics_dir || path.join(config.data.dir, 'ics'),
    calendars: calendarsFromConfig(booking, options.fetch),
    ...(options.now ? { now: options.now } : {}),
  });
}
