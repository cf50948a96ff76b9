import type { FieldIssue } from '../../errors.js';
import type { Store } from '../../store/store.js';
import type { Row } from '../../store/repository.js';
import { isTimeZone, TIME_ZONE_EXPECTED } from '../../util/zoned-time.js';
import { isE164, parsePhoneNumber, phoneExpected } from '../../util/phone-number.js';
import { isSipUri, SIP_URI_EXPECTED } from '../../util/sip-uri-rule.js';

/** Rules the JSON schemas cannot express: references that must exist, time zones, time ranges. */

export function timeZoneIssues(body: Row, field = 'timezone'): FieldIssue[] {
  const tz = body[field];
  if (typeof tz !== 'string' || isTimeZone(tz)) return [];
  return [{ field: `body.${field}`, value: tz, expected: TIME_ZONE_EXPECTED }];
}

/**
 * The phone rule for a body field: a valid number becomes its E.164 form in place (so the record stores
 * what the CSV import would store for the same text); anything else is an issue naming the value.
 */
export function phoneIssues(body: Row, field: string, defaultCountry?: string): FieldIssue[] {
  const raw = body[field];
  if (typeof raw !== 'string') return [];
  const parsed = parsePhoneNumber(raw, defaultCountry);
  if (parsed.ok) {
    body[field] = parsed.e164;
    return [];
  }
  return [{ field: `body.${field}`, value: raw, expected: phoneExpected(defaultCountry) }];
}

/** An issue when `body[field]` is set but names no record in `lookup`. */
export async function referenceIssues(
  body: Row,
  field: string,
  what: string,
  exists: (id: string) => Promise<boolean>,
): Promise<FieldIssue[]> {
  const id = body[field];
  if (typeof id !== 'string' || (await exists(id))) return [];
  return [{ field: `body.${field}`, value: id, expected: `the id of an existing ${what}` }];
}

const TARGET_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Each named transfer target must carry the field its type needs, and referenced records must exist. */
export async function transferTargetIssues(store: Store, body: Row): Promise<FieldIssue[]> {
  const targets = body.targets as Record<string, Row> | undefined;
  if (!targets) return [];
  const issues: FieldIssue[] = [];
  const refs: Record<string, { what: string; exists: (id: string) => Promise<boolean> }> = {
    user: { what: 'user', exists: async (id) => Boolean(await store.users.get(id)) },
    ring_group: { what: 'ring group', exists: async (id) => Boolean(await store.ringGroups.get(id)) },
    line: { what: 'line', exists: async (id) => Boolean(await store.lines.get(id)) },
  };
  for (const [name, target] of Object.entries(targets)) {
    const at = `body.targets.${name}`;
    if (!TARGET_NAME.test(name)) {
      issues.push({ field: at, expected: 'a target name of 1-64 letters, digits, _ or -' });
      continue;
    }
    const type = String(target.type);
    const ref = refs[type];
    if (ref) {
      if (typeof target.id !== 'string')
        issues.push({ field: `${at}.id`, expected: `the id of a ${ref.what}` });
      else if (!(await ref.exists(target.id)))
        issues.push({ field: `${at}.id`, value: target.id, expected: `the id of an existing ${ref.what}` });
    } else if (type === 'number' && target.number === undefined) {
      issues.push({ field: `${at}.number`, expected: phoneExpected() });
    } else if (type === 'sip' && target.uri === undefined) {
      issues.push({ field: `${at}.uri`, expected: SIP_URI_EXPECTED });
    }
  }
  return issues;
}

/** Each working interval must end after it starts. */
export function workingHoursIssues(body: Row): FieldIssue[] {
  const hours = body.working_hours as Record<string, Array<{ start: string; end: string }>> | undefined;
  const issues: FieldIssue[] = [];
  for (const [day, intervals] of Object.entries(hours ?? {})) {
    intervals.forEach((iv, i) => {
      if (iv.end <= iv.start) {
        issues.push({
          field: `body.working_hours.${day}.${i}.end`,
          value: iv.end,
          expected: `a time after the start ${iv.start}`,
        });
      }
    });
  }
  return issues;
}

/** A line rings an E.164 number or a SIP URI. */
export function lineTargetIssues(body: Row): FieldIssue[] {
  const target = body.target;
  if (typeof target !== 'string' || isE164(target) || isSipUri(target)) return [];
  return [
    {
      field: 'body.target',
      value: target,
      expected: `a phone number in E.164 form (${phoneExpected()}) or ${SIP_URI_EXPECTED}`,
    },
  ];
}
