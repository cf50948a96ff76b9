import { deadline } from '../../util/deadline.js';
import { buildIcs } from '../booking/ics-invite.js';
import { busyFromIcs, calendarDataOf, calendarQueryBody } from './caldav-wire.js';
import {
  CalendarError,
  type BusyPeriod,
  type CalendarEvent,
  type ExternalCalendar,
} from './external-calendar.js';

export interface CalDavOptions {
  /** The calendar collection URL (a trailing slash is added when missing). */
  url: string;
  username?: string;
  password?: string;
  timeoutMs: number;
  /** Zone for floating times and all-day events (the user's). */
  zone: string;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/**
 * A CalDAV calendar collection (RFC 4791): busy times by calendar-query REPORT with a time-range,
 * events as `<uid>.ics` resources written by PUT (If-None-Match: * on create, RFC 4791 §5.3.2) and
 * removed by DELETE. HTTP basic auth (RFC 7617) when a username is set.
 */
export class CalDavCalendar implements ExternalCalendar {
  readonly name: string;
  private readonly base: URL;
  private readonly auth?: string;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: CalDavOptions) {
    let base: URL;
    try {
      base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    } catch {
      throw new CalendarError(
        'PROTOCOL',
        `calendar url ${JSON.stringify(options.url)} is not a URL`,
        0,
        false,
      );
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new CalendarError('PROTOCOL', `calendar url must be http(s), got ${base.protocol}`, 0, false);
    }
    this.base = base;
    this.name = `caldav:${base.origin}${base.pathname}`;
    if (options.username) {
      const token = Buffer.from(`${options.username}:${options.password ?? ''}`, 'utf8').toString('base64');
      this.auth = `Basic ${token}`;
    }
    this.fetchFn = options.fetch ?? fetch;
  }

  /** The resource URL of one event: `<collection>/<uid>.ics`, the UID percent-encoded. */
  eventUrl(uid: string): string {
    return new URL(`${encodeURIComponent(uid)}.ics`, this.base).toString();
  }

  async freeBusy(range: { start: number; end: number }, signal?: AbortSignal): Promise<BusyPeriod[]> {
    const res = await this.send(
      'REPORT',
      this.base.toString(),
      {
        Depth: '1',
        'Content-Type': 'application/xml; charset=utf-8',
      },
      calendarQueryBody(range.start, range.end),
      signal,
    );
    if (res.status !== 207) throw this.failure('REPORT', res.status, res.body);
    return calendarDataOf(res.body)
      .flatMap((ics) => busyFromIcs(ics, this.options.zone))
      .filter((b) => b.start < range.end && b.end > range.start);
  }

  async create(event: CalendarEvent, signal?: AbortSignal): Promise<void> {
    const res = await this.put(event, { 'If-None-Match': '*' }, signal);
    if (res.status === 412) {
      throw new CalendarError(
        'EXISTS',
        `${this.name}: an event with UID ${event.uid} already exists`,
        412,
        false,
      );
    }
    if (res.status !== 201 && res.status !== 204 && res.status !== 200) {
      throw this.failure('PUT', res.status, res.body);
    }
  }

  async update(event: CalendarEvent, signal?: AbortSignal): Promise<void> {
    const res = await this.put(event, {}, signal);
    if (res.status !== 201 && res.status !== 204 && res.status !== 200) {
      throw this.failure('PUT', res.status, res.body);
    }
  }

  async delete(uid: string, signal?: AbortSignal): Promise<void> {
    const res = await this.send('DELETE', this.eventUrl(uid), {}, undefined, signal);
    if (res.status === 404 || res.status === 410) return;
    if (res.status < 200 || res.status >= 300) throw this.failure('DELETE', res.status, res.body);
  }

  private put(
    event: CalendarEvent,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<{ status: number; body: string }> {
    // A stored calendar object resource carries no METHOD (RFC 4791 §4.1).
    const ics = buildIcs({ ...event, stamp: Date.now(), status: 'CONFIRMED' });
    return this.send(
      'PUT',
      this.eventUrl(event.uid),
      { 'Content-Type': 'text/calendar; charset=utf-8', ...headers },
      ics,
      signal,
    );
  }

  private async send(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal?: AbortSignal,
  ): Promise<{ status: number; body: string }> {
    const timer = deadline(this.options.timeoutMs, signal);
    try {
      const res = await this.fetchFn(url, {
        method,
        headers: { ...headers, ...(this.auth ? { Authorization: this.auth } : {}) },
        body,
        signal: timer.signal,
        redirect: 'follow',
      });
      return { status: res.status, body: await res.text() };
    } catch (err) {
      if (timer.timedOut) {
        throw new CalendarError(
          'TIMEOUT',
          `${this.name}: ${method} timed out after ${this.options.timeoutMs} ms`,
        );
      }
      if (signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CalendarError('UNREACHABLE', `${this.name}: ${method} failed: ${cause}`);
    } finally {
      timer.clear();
    }
  }

  private failure(method: string, status: number, body: string): CalendarError {
    const detail = body
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 200);
    const text = `${this.name}: ${method} answered ${status}${detail ? `: ${detail}` : ''}`;
    if (status === 401 || status === 403) return new CalendarError('AUTH', text, status, false);
    // Server errors and throttling may pass; other client errors will not.
    const retryable = status >= 500 || status === 429 || status === 408;
    return new CalendarError(retryable ? 'UNREACHABLE' : 'REJECTED', text, status, retryable);
  }
}
