import { icsUtc, unfold } from '../booking/ics-invite.js';
import { isTimeZone, zonedToUtc } from '../../util/zoned-time.js';
import type { BusyPeriod } from './external-calendar.js';

/**
 * The CalDAV wire format Callwright needs: the calendar-query REPORT body (RFC 4791 §7.8) and the
 * 207 multistatus answer (RFC 4918 §13) reduced to the VEVENTs it carries.
 */

/**
 * A calendar-query for VEVENTs overlapping [start, end) (RFC 4791 §9.9 time-range), asking the server
 * to expand recurrences into single instances in that window (§9.6.5) so busy times need no RRULE maths.
 */
export function calendarQueryBody(start: number, end: number): string {
  const s = icsUtc(start);
  const e = icsUtc(end);
  return [
    '<?xml version="1.0" encoding="utf-8" ?>',
    '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">',
    '  <D:prop>',
    '    <D:getetag/>',
    `    <C:calendar-data><C:expand start="${s}" end="${e}"/></C:calendar-data>`,
    '  </D:prop>',
    '  <C:filter>',
    '    <C:comp-filter name="VCALENDAR">',
    '      <C:comp-filter name="VEVENT">',
    `        <C:time-range start="${s}" end="${e}"/>`,
    '      </C:comp-filter>',
    '    </C:comp-filter>',
    '  </C:filter>',
    '</C:calendar-query>',
  ].join('\n');
}

function xmlText(raw: string): string {
  const cdata = /^\s*<!\[CDATA\[([\s\S]*)\]\]>\s*$/.exec(raw);
  if (cdata) return cdata[1] as string;
  return raw
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&amp;/g, '&');
}

/**
 * The calendar-data texts of a multistatus body, whatever namespace prefix the server chose
 * (`C:`, `cal:`, a default namespace). Only responses whose propstat status is 200 count.
 */
export function calendarDataOf(multistatus: string): string[] {
  const out: string[] = [];
  const responses = multistatus.match(/<(?:[\w-]+:)?response\b[\s\S]*?<\/(?:[\w-]+:)?response>/g) ?? [];
  for (const response of responses) {
    const propstats = response.match(/<(?:[\w-]+:)?propstat\b[\s\S]*?<\/(?:[\w-]+:)?propstat>/g) ?? [
      response,
    ];
    for (const ps of propstats) {
      const status = /<(?:[\w-]+:)?status>\s*HTTP\/[\d.]+\s+(\d{3})/.exec(ps)?.[1];
      if (status && status !== '200') continue;
      const data = /<(?:[\w-]+:)?calendar-data\b[^>]*>([\s\S]*?)<\/(?:[\w-]+:)?calendar-data>/.exec(ps);
      if (data) out.push(xmlText(data[1] as string));
    }
  }
  return out;
}

interface Prop {
  params: Record<string, string>;
  value: string;
}

/** The first colon outside a quoted parameter value (RFC 5545 §3.1 contentline grammar). */
function nameValueColon(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === ':' && !quoted) return i;
  }
  return -1;
}

function parseProp(line: string): { name: string } & Prop {
  const colon = nameValueColon(line);
  const head = colon < 0 ? line : line.slice(0, colon);
  const value = colon < 0 ? '' : line.slice(colon + 1);
  const [name, ...rawParams] = head.split(';');
  const params: Record<string, string> = {};
  for (const p of rawParams) {
    const eq = p.indexOf('=');
    if (eq > 0) params[p.slice(0, eq).toUpperCase()] = p.slice(eq + 1).replace(/^"|"$/g, '');
  }
  return { name: (name ?? '').toUpperCase(), params, value };
}

/** DATE or DATE-TIME (RFC 5545 §3.3.4/§3.3.5): UTC, with TZID, floating (taken in `zone`), or all-day. */
export function icsInstant(prop: Prop, zone: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/.exec(prop.value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, z] = m;
  const local = { year: +y!, month: +mo!, day: +d!, hour: h ? +h : 0, minute: mi ? +mi : 0 };
  if (z) return Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, s ? +s : 0);
  const tz = prop.params.TZID && isTimeZone(prop.params.TZID) ? prop.params.TZID : zone;
  return zonedToUtc(local, tz) + (s ? +s * 1000 : 0);
}

/** RFC 5545 §3.3.6 duration (`PT1H30M`, `P1D`, `P1W`) in milliseconds. */
export function icsDuration(text: string): number | undefined {
  const m = /^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(text.trim());
  if (!m) return undefined;
  const [, sign, w, d, h, mi, s] = m;
  const ms = ((+(w ?? 0) * 7 + +(d ?? 0)) * 86400 + +(h ?? 0) * 3600 + +(mi ?? 0) * 60 + +(s ?? 0)) * 1000;
  return sign === '-' ? -ms : ms;
}

/**
 * Busy periods of the VEVENTs in one iCalendar text. Cancelled and transparent (free) events do not
 * block time (RFC 5545 §3.8.2.7); an event without DTEND lasts its DURATION, or one day when all-day.
 */
export function busyFromIcs(ics: string, zone: string): BusyPeriod[] {
  const out: BusyPeriod[] = [];
  let props: Map<string, Prop> | undefined;
  let depth = 0;
  for (const line of unfold(ics)) {
    const prop = parseProp(line);
    if (prop.name === 'BEGIN' && prop.value.toUpperCase() === 'VEVENT') {
      props = new Map();
      depth = 0;
      continue;
    }
    if (!props) continue;
    if (prop.name === 'BEGIN') depth++;
    else if (prop.name === 'END' && depth > 0) depth--;
    else if (prop.name === 'END' && prop.value.toUpperCase() === 'VEVENT') {
      const period = periodOf(props, zone);
      if (period) out.push(period);
      props = undefined;
    } else if (depth === 0 && !props.has(prop.name)) props.set(prop.name, prop);
  }
  return out;
}

function periodOf(props: Map<string, Prop>, zone: string): BusyPeriod | undefined {
  if (props.get('STATUS')?.value.toUpperCase() === 'CANCELLED') return undefined;
  if (props.get('TRANSP')?.value.toUpperCase() === 'TRANSPARENT') return undefined;
  const dtstart = props.get('DTSTART');
  const start = dtstart ? icsInstant(dtstart, zone) : undefined;
  if (start === undefined || !dtstart) return undefined;
  const dtend = props.get('DTEND');
  let end = dtend ? icsInstant(dtend, zone) : undefined;
  if (end === undefined) {
    const duration = props.get('DURATION');
    const allDay = /^\d{8}$/.test(dtstart.value.trim());
    end = start + ((duration ? icsDuration(duration.value) : undefined) ?? (allDay ? 86400000 : 0));
  }
  if (end <= start) return undefined;
  const uid = props.get('UID')?.value;
  return uid ? { start, end, uid } : { start, end };
}
