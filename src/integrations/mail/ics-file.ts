/** One event as an iCalendar file (RFC 5545), for invitations attached to mail. */
export interface IcsEvent {
  uid: string;
  /** ISO date-times; written in UTC. */
  start: string;
  end: string;
  summary: string;
  description?: string;
  location?: string;
  /** RFC 5546 method: PUBLISH (informational) or REQUEST (an invitation). */
  method?: 'PUBLISH' | 'REQUEST' | 'CANCEL';
  organizerEmail?: string;
  attendeeEmail?: string;
}

/** RFC 5545 §3.3.5 UTC form: 19970714T173000Z. */
function utc(iso: string, field: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t))
    throw new Error(`${field}: got ${JSON.stringify(iso)}, expected an ISO 8601 date-time`);
  return new Date(t)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** RFC 5545 §3.3.11: backslash, semicolon, comma and newlines are escaped in TEXT. */
function text(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

/** RFC 5545 §3.1: lines longer than 75 octets are folded with CRLF + space (never inside a UTF-8 sequence). */
function fold(line: string): string {
  const out: string[] = [];
  let current = '';
  let bytes = 0;
  for (const ch of line) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > (out.length ? 74 : 75)) {
      out.push(current);
      current = '';
      bytes = 0;
    }
    current += ch;
    bytes += n;
  }
  out.push(current);
  return out.join('\r\n ');
}

export function buildIcs(event: IcsEvent, now = new Date()): string {
  const method = event.method ?? 'PUBLISH';
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Callwright//Callwright//EN',
    'CALSCALE:GREGORIAN',
    `METHOD:${method}`,
    'BEGIN:VEVENT',
    `UID:${text(event.uid)}`,
    `DTSTAMP:${utc(now.toISOString(), 'dtstamp')}`,
    `DTSTART:${utc(event.start, 'start')}`,
    `DTEND:${utc(event.end, 'end')}`,
    `SUMMARY:${text(event.summary)}`,
    ...(event.description ? [`DESCRIPTION:${text(event.description)}`] : []),
    ...(event.location ? [`LOCATION:${text(event.location)}`] : []),
    ...(event.organizerEmail ? [`ORGANIZER:mailto:${event.organizerEmail}`] : []),
    ...(event.attendeeEmail ? [`ATTENDEE;RSVP=TRUE:mailto:${event.attendeeEmail}`] : []),
    `STATUS:${method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED'}`,
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return lines.map(fold).join('\r\n') + '\r\n';
}
