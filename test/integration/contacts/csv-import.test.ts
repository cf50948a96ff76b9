import { afterEach, describe, expect, it } from 'vitest';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { importContactsCsv } from '../../../src/contacts/csv-import.js';
import { tempStore } from '../../helpers/temp.js';
import type { Store } from '../../../src/store/store.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/contacts');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function store(): Store {
  const t = tempStore();
  cleanups.push(t.cleanup);
  return t.store;
}

const csv = (text: string): Readable => Readable.from([text]);

describe('importContactsCsv', () => {
  it('imports good rows, reports each bad row with line, field, value and what is accepted', async () => {
    const s = store();
    const summary = await importContactsCsv(s, createReadStream(path.join(fixtures, 'mixed.csv')));
    expect(summary).toMatchObject({ imported: 3, updated: 0, unchanged: 0 });
    expect(summary.rejected).toEqual([
      { line: 4, issues: [expect.objectContaining({ field: 'phone', value: '4155550101' })] },
      {
        line: 5,
        issues: [
          expect.objectContaining({ field: 'email', value: 'not-an-email', expected: 'an email address' }),
        ],
      },
      { line: 6, issues: [expect.objectContaining({ field: 'timezone', value: 'Mars/Base' })] },
      { line: 7, issues: [expect.objectContaining({ field: 'tags', expected: 'at most 64 characters' })] },
      { line: 9, issues: [{ field: 'row', value: '4 fields', expected: '9 fields as in the header' }] },
    ]);
    for (const r of summary.rejected) for (const i of r.issues) expect(i.expected).toBeTruthy();

    const ana = await s.contacts.findByPhone('+14155550100');
    expect(ana).toMatchObject({
      first_name: 'Ana',
      email: 'ana@example.com',
      timezone: 'America/Los_Angeles',
    });
    expect(ana?.properties).toEqual({ plan: 'gold', 'Account Manager': 'Sam' });
    expect(await s.contacts.tagsOf(ana?.id as string)).toEqual(['vip', 'west']);
    expect((await s.contacts.listsOf(ana?.id as string)).map((l) => l.name)).toEqual(['Spring campaign']);
    const gus = await s.contacts.findByPhone('+14155550105');
    expect(gus?.last_name).toBe('Lee, Jr.');
    expect(await s.contacts.tagsOf(gus?.id as string)).toEqual(['a', 'b']);
    expect((await s.contacts.findByPhone('+442071838750'))?.first_name).toBe('Ben');
    // Nothing partial: no contact, tag or list from a rejected row.
    for (const p of ['+14155550102', '+14155550103', '+14155550104', '+14155550106']) {
      expect(await s.contacts.findByPhone(p)).toBeUndefined();
    }
    expect((await s.contacts.list()).total).toBe(3);
    expect((await s.tags.all()).map((t) => t.name).sort()).toEqual(['a', 'b', 'vip', 'west']);
  });

  it('changes nothing when the same file is imported again', async () => {
    const s = store();
    await importContactsCsv(s, createReadStream(path.join(fixtures, 'mixed.csv')));
    const before = JSON.stringify(await s.contacts.all());
    const again = await importContactsCsv(s, createReadStream(path.join(fixtures, 'mixed.csv')));
    expect(again).toMatchObject({ imported: 0, updated: 0, unchanged: 3 });
    expect(again.rejected).toHaveLength(5);
    expect(JSON.stringify(await s.contacts.all())).toBe(before);
  });

  it('updates by phone: fills fields, merges properties, adds tags, leaves empty cells alone', async () => {
    const s = store();
    await importContactsCsv(
      s,
      csv('phone,first_name,email,tags,plan\n+14155550100,Ana,ana@example.com,vip,gold\n'),
    );
    const summary = await importContactsCsv(
      s,
      csv('phone,first_name,email,tags,region\n+14155550100,Anna,,new,west\n'),
    );
    expect(summary).toMatchObject({ imported: 0, updated: 1, unchanged: 0, rejected: [] });
    const c = await s.contacts.findByPhone('+14155550100');
    expect(c).toMatchObject({
      first_name: 'Anna',
      email: 'ana@example.com',
      properties: { plan: 'gold', region: 'west' },
    });
    expect(await s.contacts.tagsOf(c?.id as string)).toEqual(['new', 'vip']);
  });

  it('rolls a row back whole when a write fails half-way: no contact, tag or list from it', async () => {
    const s = store();
    // Fail the last write of the row (its list membership), after the contact and tag rows were inserted.
    s.db.exec(`CREATE TRIGGER explode BEFORE INSERT ON list_members
      WHEN (SELECT name FROM lists WHERE id = NEW.list_id) = 'Explode'
      BEGIN SELECT RAISE(ABORT, 'boom'); END`);
    const summary = await importContactsCsv(
      s,
      csv('phone,tags,lists\n+14155550100,vip,Explode\n+14155550101,calm,Fine\n'),
    );
    expect(summary).toMatchObject({ imported: 1 });
    expect(summary.rejected).toEqual([
      { line: 2, issues: [{ field: 'row', expected: expect.stringContaining('boom') }] },
    ]);
    expect(await s.contacts.findByPhone('+14155550100')).toBeUndefined();
    expect((await s.tags.all()).map((t) => t.name)).toEqual(['calm']);
    expect((await s.lists.all()).map((l) => l.name)).toEqual(['Fine']);
  });

  it('normalises national numbers with a calling code', async () => {
    const s = store();
    const summary = await importContactsCsv(s, csv('phone\n020 7183 8750\n'), { callingCode: '44' });
    expect(summary.imported).toBe(1);
    expect(await s.contacts.findByPhone('+442071838750')).toBeDefined();
  });

  it('refuses a file without a phone column or with duplicate columns, writing nothing', async () => {
    const s = store();
    await expect(importContactsCsv(s, csv('name,email\nA,a@example.com\n'))).rejects.toMatchObject({
      code: 'VALIDATION',
      issues: [expect.objectContaining({ field: 'header', expected: 'a phone column' })],
    });
    await expect(importContactsCsv(s, csv('phone,Phone\n+14155550100,+14155550100\n'))).rejects.toMatchObject(
      {
        issues: [expect.objectContaining({ field: 'header column 2', expected: 'a unique column name' })],
      },
    );
    await expect(importContactsCsv(s, csv(''))).rejects.toMatchObject({ code: 'VALIDATION' });
    expect((await s.contacts.list()).total).toBe(0);
  });

  it('reports malformed CSV with its line, keeping the rows before it', async () => {
    const s = store();
    const err = await importContactsCsv(
      s,
      csv('phone,first_name\n+14155550100,Ana\n+14155550101,"Ben\n'),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'VALIDATION',
      message: expect.stringMatching(/CSV cannot be read at line/),
    });
    expect(await s.contacts.findByPhone('+14155550100')).toBeDefined();
  });

  it('reports progress per row with bytes read', async () => {
    const s = store();
    const seen: number[] = [];
    const text = 'phone\n+14155550100\n+14155550101\n';
    await importContactsCsv(s, csv(text), { totalBytes: text.length, onProgress: (p) => seen.push(p.rows) });
    expect(seen).toEqual([1, 2]);
  });
});
