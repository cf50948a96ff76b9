import { describe, expect, it } from 'vitest';
import { buildIcs } from '../../../src/integrations/mail/ics-file.js';

describe('ICS file (RFC 5545)', () => {
  it('writes UTC times, escapes text, folds long lines and ends lines with CRLF', () => {
    const ics = buildIcs(
      {
        uid: 'call-1:act-1@callwright',
        start: '2030-03-04T15:00:00-05:00',
        end: '2030-03-04T15:30:00-05:00',
        summary: 'Visit; bring ID, please',
        description: 'Line one\nLine two ' + 'é'.repeat(60),
      },
      new Date('2030-01-01T00:00:00Z'),
    );
    expect(ics).toContain('DTSTART:20300304T200000Z\r\n');
    expect(ics).toContain('DTEND:20300304T203000Z\r\n');
    expect(ics).toContain('SUMMARY:Visit\\; bring ID\\, please\r\n');
    expect(ics).toContain('DESCRIPTION:Line one\\nLine two');
    for (const line of ics.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    expect(ics.replace(/\r\n /g, '')).toContain('é'.repeat(60));
    expect(ics.split('\n').every((l, i, all) => i === all.length - 1 || l.endsWith('\r'))).toBe(true);
  });

  it('names the field of a bad date', () => {
    expect(() => buildIcs({ uid: 'u', start: 'tomorrow', end: 'x', summary: 's' })).toThrow(/start/);
  });
});
