import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ContactRecord, UserRecord } from '../../store/store.js';
import type { CalendarEvent, CalendarParty } from '../calendar/external-calendar.js';
import type { AppointmentRecord } from './appointment-repository.js';
import { buildIcs } from './ics-invite.js';

export interface Invite {
  method: 'REQUEST' | 'CANCEL';
  /** The iCalendar text (CRLF lines). */
  ics: string;
  /** Where it was written; empty when no ICS folder is configured. */
  path: string;
  filename: string;
}

/** The UID an appointment carries in invites and external calendars. */
export function appointmentUid(appointmentId: string): string {
  return `${appointmentId}@callwright`;
}

/**
 * SEQUENCE must grow with each significant change (RFC 5546 §2.1.4). The table keeps no counter, so
 * the seconds between creation and the last change serve: 0 at booking, larger after each change.
 */
export function sequenceOf(a: AppointmentRecord): number {
  return Math.max(0, Math.floor((Date.parse(a.updated_at) - Date.parse(a.created_at)) / 1000));
}

/** The organizer: configured address, else the user's email, SIP URI or phone (RFC 5545 §3.8.4.3 cal-address). */
function organizerOf(user: UserRecord, organizerEmail: string): CalendarParty | undefined {
  const name = user.name;
  if (organizerEmail) return { uri: `mailto:${organizerEmail}`, name };
  if (user.email) return { uri: `mailto:${user.email}`, name };
  if (user.sip_uri) return { uri: user.sip_uri, name };
  if (user.phone) return { uri: `tel:${user.phone}`, name };
  return undefined;
}

function attendeeOf(contact: ContactRecord | undefined): CalendarParty | undefined {
  if (!contact) return undefined;
  const name = `${contact.first_name} ${contact.last_name}`.trim() || undefined;
  if (contact.email) return { uri: `mailto:${contact.email}`, ...(name ? { name } : {}) };
  if (contact.phone) return { uri: `tel:${contact.phone}`, ...(name ? { name } : {}) };
  return undefined;
}

/** The event as external calendars and invites describe it. */
export function calendarEventOf(
  a: AppointmentRecord,
  user: UserRecord,
  contact: ContactRecord | undefined,
  organizerEmail: string,
): CalendarEvent {
  const organizer = organizerOf(user, organizerEmail);
  const attendee = attendeeOf(contact);
  return {
    uid: appointmentUid(a.id),
    start: Date.parse(a.starts_at),
    end: Date.parse(a.ends_at),
    summary: a.title || `Appointment with ${user.name}`,
    ...(a.notes ? { description: a.notes } : {}),
    ...(organizer ? { organizer } : {}),
    attendees: attendee ? [attendee] : [],
    sequence: sequenceOf(a),
  };
}

/** Builds the iTIP invite (RFC 5546 REQUEST, or CANCEL for a cancelled appointment) and writes it to `dir`. */
export function writeInvite(
  event: CalendarEvent,
  method: Invite['method'],
  dir: string,
  stamp: number,
): Invite {
  const ics = buildIcs({ ...event, stamp, method, status: method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED' });
  const id = event.uid.replace(/@.*$/, '');
  const filename = `${id}-${event.sequence ?? 0}${method === 'CANCEL' ? '-cancel' : ''}.ics`;
  if (!dir) return { method, ics, path: '', filename };
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, filename);
  writeFileSync(file, ics, 'utf8');
  return { method, ics, path: path.resolve(file), filename };
}
