/**
 * A calendar outside Callwright that holds a user's other commitments and receives their bookings.
 * Implementations: `CalDavCalendar` (RFC 4791). Instants are milliseconds since the epoch.
 */

export interface BusyPeriod {
  start: number;
  end: number;
  /** The event's UID when the calendar says (bookings of our own show up with their UID). */
  uid?: string;
}

export interface CalendarParty {
  /** `mailto:…`, `tel:…` or `sip:…` */
  uri: string;
  name?: string;
}

export interface CalendarEvent {
  /** Stable event UID; Callwright uses `<appointment id>@callwright`. */
  uid: string;
  start: number;
  end: number;
  summary: string;
  description?: string;
  organizer?: CalendarParty;
  attendees?: CalendarParty[];
  sequence?: number;
}

export interface ExternalCalendar {
  /** For logs and errors (`caldav:https://dav.example.com/…`), never credentials. */
  readonly name: string;
  /** Busy periods overlapping [start, end). */
  freeBusy(range: { start: number; end: number }, signal?: AbortSignal): Promise<BusyPeriod[]>;
  /** Creates the event; fails with code EXISTS when one with that UID is already there. */
  create(event: CalendarEvent, signal?: AbortSignal): Promise<void>;
  /** Replaces the event with that UID (creates it when missing). */
  update(event: CalendarEvent, signal?: AbortSignal): Promise<void>;
  /** Removes the event; a missing event counts as removed. */
  delete(uid: string, signal?: AbortSignal): Promise<void>;
}

export type CalendarErrorCode = 'EXISTS' | 'AUTH' | 'TIMEOUT' | 'UNREACHABLE' | 'PROTOCOL' | 'REJECTED';

/** A failure talking to an external calendar; `retryable` tells the engine's failure policy. */
export class CalendarError extends Error {
  constructor(
    readonly code: CalendarErrorCode,
    message: string,
    readonly status?: number,
    readonly retryable = true,
  ) {
    super(message);
    this.name = 'CalendarError';
  }
}
