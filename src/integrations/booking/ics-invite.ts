/**
 * iCalendar objects (RFC 5545) for appointments: the invite a confirmation carries (iTIP METHOD:REQUEST
 * or CANCEL, RFC 5546) and the plain object a CalDAV server stores (no METHOD, RFC 4791 §4.1).
 */

export interface IcsParty {
  /** A calendar address URI: `mailto:…`, `tel:…` or `sip:…`. */
  uri: string;
  name?: string;
}

export interface IcsEvent {
  uid: string;
  /** Instants in milliseconds; written in UTC (RFC 5545 §3.3.5 form 2). */
  start: number;
  end: number;
  stamp: number;
  summary: string;
  description?: string;
  location?: string;
  organizer?: IcsParty;
  attendees?: IcsParty[];
  /** Grows with each significant change (RFC 5546 §2.1.4). */
  sequence?: number;
  status?: 'CONFIRMED' | 'CANCELLED';
  /** iTIP method; omit for a stored calendar object resource. */
  method?: 'REQUEST' | 'CANCEL' | 'PUBLISH';
}

const PRODID = '-//Callwright//Appointments//EN';

/** `20260310T130000Z` (RFC 5545 §3.3.5, UTC form). */
export function icsUtc(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** TEXT escaping (RFC 5545 §3.3.11): backslash, semicolon, comma and line breaks. */
export function escapeText(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

/** A parameter value is quoted when it holds `:`, `;` or `,` (RFC 5545 §3.2); DQUOTE is not allowed inside. */
function paramValue(value: string): string {
  const clean = value.replace(/["\r\n]/g, '');
  return /[:;,]/.test(clean) ? `"${clean}"` : clean;
}

/**
 * Folds a content line at 75 octets (RFC 5545 §3.1): continuation lines start with one space, which
 * counts toward their 75. Cuts never split a UTF-8 sequence.
 */
export function foldLine(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  if (bytes.length <= 75) return line;
  const parts: string[] = [];
  let pos = 0;
  let limit = 75;
  while (pos < bytes.length) {
    let end = Math.min(pos + limit, bytes.length);
    // Back off continuation bytes (10xxxxxx) so a character is never cut in two.
    while (end < bytes.length && end > pos && ((bytes[end] as number) & 0xc0) === 0x80) end--;
    parts.push(bytes.subarray(pos, end).toString('utf8'));
    pos = end;
    limit = 74;
  }
  return parts.join('\r\n ');
}

function partyLine(name: 'ORGANIZER' | 'ATTENDEE', party: IcsParty, extra = ''): string {
  const cn = party.name ? `;CN=${paramValue(party.name)}` : '';
  return `${name}${cn}${extra}:${party.uri}`;
}

/** The whole iCalendar text, lines folded and ended with CRLF. */
export function buildIcs(event: IcsEvent): string {
  const cancelled = event.method === 'CANCEL' || event.status === 'CANCELLED';
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:${PRODID}`,
    'CALSCALE:GREGORIAN',
    ...(event.method ? [`METHOD:${event.method}`] : []),
    'BEGIN:VEVENT',
    `UID:${event.uid}`,
    `DTSTAMP:${icsUtc(event.stamp)}`,
    `DTSTART:${icsUtc(event.start)}`,
    `DTEND:${icsUtc(event.end)}`,
    `SEQUENCE:${event.sequence ?? 0}`,
    `STATUS:${cancelled ? 'CANCELLED' : (event.status ?? 'CONFIRMED')}`,
    `SUMMARY:${escapeText(event.summary)}`,
    ...(event.description ? [`DESCRIPTION:${escapeText(event.description)}`] : []),
    ...(event.location ? [`LOCATION:${escapeText(event.location)}`] : []),
    ...(event.organizer ? [partyLine('ORGANIZER', event.organizer)] : []),
    ...(event.attendees ?? []).map((a) =>
      partyLine(
        'ATTENDEE',
        a,
        cancelled ? ';ROLE=REQ-PARTICIPANT' : ';ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE',
      ),
    ),
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return lines.map(foldLine).join('\r\n') + '\r\n';
}

/** Undoes folding (RFC 5545 §3.1): a CRLF followed by one space or tab joins the lines. */
export function unfold(text: string): string[] {
  return text
    .replace(/\r?\n[ \t]/g, '')
    .split(/\r?\n/)
    .filter((l) => l.length > 0);
}
