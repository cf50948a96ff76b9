import type { Readable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { Type } from '@sinclair/typebox';
import { CallwrightError, type FieldIssue } from '../errors.js';
import { check } from '../util/validate.js';
import type { Store, ContactRecord } from '../store/store.js';
import { TagName } from '../api/schemas/catalog.js';
import { parsePhoneNumber, phoneExpected, type PhoneContext } from '../util/phone-number.js';
import { isTimeZone, TIME_ZONE_EXPECTED } from '../util/zoned-time.js';

/** Columns with a meaning; every other column becomes a contact property of the same name. */
const KNOWN = ['phone', 'first_name', 'last_name', 'email', 'timezone', 'tags', 'lists'] as const;
const TEXT_FIELDS = ['first_name', 'last_name', 'email', 'timezone'] as const;

/** Tags and lists in one cell are separated by `;`, `|` or `,` (a comma needs the cell quoted). */
const SEPARATOR = /[;|,]/;

const RowSchema = Type.Object({
  first_name: Type.Optional(Type.String({ maxLength: 100 })),
  last_name: Type.Optional(Type.String({ maxLength: 100 })),
  email: Type.Optional(Type.String({ format: 'email' })),
  tags: Type.Array(TagName),
  lists: Type.Array(Type.String({ minLength: 1, maxLength: 100 })),
});

/** Which numbering plan national numbers (no `+`) in the phone column belong to. */
export interface PhoneOptions {
  /** ISO 3166-1 alpha-2 country (config `contacts.default_country`, CLI `--country`). */
  defaultCountry?: string;
  /** Country calling code (digits, e.g. `44`), when no country is given (CLI `--calling-code`). */
  callingCode?: string;
}

export interface ImportOptions extends PhoneOptions {
  /** Size of the input in bytes, when known, for progress. */
  totalBytes?: number;
  /** Called after each row. */
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  rows: number;
  bytes: number;
  totalBytes?: number;
}

export interface RejectedRow {
  /** 1-based line of the file where the row ends. */
  line: number;
  issues: FieldIssue[];
}

export interface ImportSummary {
  imported: number;
  updated: number;
  unchanged: number;
  rejected: RejectedRow[];
}

interface ContactRow {
  phone: string;
  fields: Partial<Record<(typeof TEXT_FIELDS)[number], string>>;
  properties: Record<string, string>;
  tags: string[];
  lists: string[];
}

type Outcome = 'imported' | 'updated' | 'unchanged';

/**
 * Imports contacts from CSV with a header row. Each row is validated, then written in its own
 * transaction, so a bad row writes nothing and never stops the rows after it. Rows are matched to
 * existing contacts by E.164 phone; an import only adds: empty cells leave values as they are, tags and
 * list memberships are added, properties merged. Importing the same file twice changes nothing.
 */
export async function importContactsCsv(
  store: Store,
  source: Readable,
  options: ImportOptions = {},
): Promise<ImportSummary> {
  const summary: ImportSummary = { imported: 0, updated: 0, unchanged: 0, rejected: [] };
  let header: string[] | undefined;
  let rows = 0;
  // The parser calls `on_record` as it reaches each row; the rows are written one after the other, in
  // file order, each chunk's rows before the next chunk is parsed. A malformed spot later in the file
  // stops the import exactly there: every row before it is written, none after it.
  let writes = Promise.resolve();
  const onRecord = (record: string[], info: { lines: number; bytes: number }): null => {
    if (!header) {
      header = readHeader(record);
      return null;
    }
    const columns = header;
    const progress = { rows: ++rows, bytes: info.bytes, totalBytes: options.totalBytes };
    writes = writes.then(async () => {
      const outcome = await importRow(store, columns, record, info.lines, options);
      if (typeof outcome === 'string') summary[outcome]++;
      else summary.rejected.push(outcome);
      options.onProgress?.(progress);
    });
    return null;
  };
  try {
    await parseInOrder(source, onRecord, () => writes);
  } catch (err) {
    if (err instanceof CallwrightError) throw err;
    const e = err as { message?: string; lines?: number };
    throw new CallwrightError('VALIDATION', `CSV cannot be read at line ${e.lines ?? '?'}: ${e.message}`, [
      { field: `line ${e.lines ?? '?'}`, expected: 'well-formed CSV (RFC 4180)' },
    ]);
  }
  if (!header) {
    throw new CallwrightError('VALIDATION', 'the file is empty', [
      { field: 'header', expected: 'a header row naming the columns, including phone' },
    ]);
  }
  return summary;
}

/**
 * Feeds `source` to the CSV parser one chunk at a time and waits for `written()` (the rows that chunk
 * produced) before the next one, so a large file never queues more than a chunk of rows in memory. The
 * rows before a parse error are written before the error is thrown.
 */
async function parseInOrder(
  source: Readable,
  onRecord: (record: string[], info: { lines: number; bytes: number }) => null,
  written: () => Promise<void>,
): Promise<void> {
  const parser = parse({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    on_record: onRecord,
  });
  const parsed = new Promise<void>((resolve, reject) => parser.on('error', reject).on('end', resolve));
  // Handled here as well: an error may come while a chunk's rows are being written, before `await parsed`.
  parsed.catch(() => undefined);
  parser.resume();
  try {
    for await (const chunk of source) {
      if (parser.destroyed) break;
      parser.write(chunk);
      await written();
    }
    if (!parser.destroyed) parser.end();
    await parsed;
  } catch (err) {
    parser.destroy();
    throw err;
  } finally {
    await written();
  }
}

function readHeader(record: string[]): string[] {
  const header = record.map((h) => h.trim());
  const issues: FieldIssue[] = [];
  if (!header.some((h) => h.toLowerCase() === 'phone')) {
    issues.push({ field: 'header', value: header.join(','), expected: 'a phone column' });
  }
  const seen = new Set<string>();
  header.forEach((h, i) => {
    const key = KNOWN.includes(h.toLowerCase() as (typeof KNOWN)[number]) ? h.toLowerCase() : h;
    if (!h) issues.push({ field: `header column ${i + 1}`, value: h, expected: 'a column name' });
    else if (seen.has(key))
      issues.push({ field: `header column ${i + 1}`, value: h, expected: 'a unique column name' });
    seen.add(key);
  });
  if (issues.length > 0)
    throw new CallwrightError('VALIDATION', `bad CSV header: ${issues[0]?.expected}`, issues);
  return header.map((h) => (KNOWN.includes(h.toLowerCase() as (typeof KNOWN)[number]) ? h.toLowerCase() : h));
}

async function importRow(
  store: Store,
  header: string[],
  record: string[],
  line: number,
  options: PhoneOptions,
): Promise<Outcome | RejectedRow> {
  if (record.length !== header.length) {
    return {
      line,
      issues: [
        {
          field: 'row',
          value: `${record.length} fields`,
          expected: `${header.length} fields as in the header`,
        },
      ],
    };
  }
  const parsed = parseRow(header, record, options);
  if ('issues' in parsed) return { line, issues: parsed.issues };
  try {
    return await store.transaction(() => writeRow(store, parsed));
  } catch (err) {
    return {
      line,
      issues: [{ field: 'row', expected: `a row the store accepts (${(err as Error).message})` }],
    };
  }
}

/** Turns one CSV record into a validated contact row, or the issues that keep it out. */
function parseRow(
  header: string[],
  record: string[],
  options: PhoneOptions,
): ContactRow | { issues: FieldIssue[] } {
  const cells: Record<string, string> = {};
  header.forEach((h, i) => {
    if (record[i]) cells[h] = record[i] as string;
  });
  const issues: FieldIssue[] = [];
  const ctx: PhoneContext = {
    ...(options.defaultCountry ? { defaultCountry: options.defaultCountry } : {}),
    ...(options.callingCode ? { defaultCallingCode: options.callingCode } : {}),
  };
  const parsed = cells.phone ? parsePhoneNumber(cells.phone, ctx) : undefined;
  const phone = parsed?.ok ? parsed.e164 : undefined;
  if (!phone) {
    issues.push({
      field: 'phone',
      ...(cells.phone ? { value: cells.phone } : {}),
      expected: phoneExpected(ctx),
    });
  }
  const split = (cell?: string): string[] =>
    [...new Set((cell ?? '').split(SEPARATOR).map((s) => s.trim()))].filter(Boolean);
  const row: ContactRow = {
    phone: phone ?? '',
    fields: {},
    properties: {},
    tags: split(cells.tags),
    lists: split(cells.lists),
  };
  for (const f of TEXT_FIELDS) if (cells[f]) row.fields[f] = cells[f];
  for (const [k, v] of Object.entries(cells)) {
    if (!KNOWN.includes(k as (typeof KNOWN)[number])) row.properties[k] = v;
  }
  issues.push(...check(RowSchema, { ...row.fields, tags: row.tags, lists: row.lists }));
  if (row.fields.timezone && !isTimeZone(row.fields.timezone)) {
    issues.push({ field: 'timezone', value: row.fields.timezone, expected: TIME_ZONE_EXPECTED });
  }
  return issues.length > 0 ? { issues: issues.map(cellIssue) } : row;
}

/** Ajv names array items `tags.1`; in a CSV the cell is `tags`. */
function cellIssue(issue: FieldIssue): FieldIssue {
  return { ...issue, field: issue.field.replace(/\.\d+$/, '') };
}

async function writeRow(store: Store, row: ContactRow): Promise<Outcome> {
  const contacts = store.contacts;
  const existing = await contacts.findByPhone(row.phone);
  if (!existing) {
    const created = await contacts.create({ phone: row.phone, ...row.fields, properties: row.properties });
    await addMemberships(store, created.id, row);
    return 'imported';
  }
  const patch: Partial<ContactRecord> = {};
  for (const [k, v] of Object.entries(row.fields)) if (existing[k] !== v) patch[k] = v;
  const properties = { ...existing.properties, ...row.properties };
  if (!isDeepStrictEqual(properties, existing.properties)) patch.properties = properties;
  const fieldsChanged = Object.keys(patch).length > 0;
  if (fieldsChanged) await contacts.update(existing.id, patch);
  const membershipsChanged = await addMemberships(store, existing.id, row);
  return fieldsChanged || membershipsChanged ? 'updated' : 'unchanged';
}

/** Adds the row's tags and lists (lists by name, created on first use); true when anything was new. */
async function addMemberships(store: Store, contactId: string, row: ContactRow): Promise<boolean> {
  let changed = false;
  for (const tag of row.tags) changed = (await store.contacts.addTag(contactId, tag)) || changed;
  for (const name of row.lists) {
    const list = await store.contacts.ensureList(name);
    changed = (await store.contacts.addToList(contactId, list.id)) || changed;
  }
  return changed;
}

/**
 * Bytes the header record takes in the first bytes of a CSV file, so progress counts only the rows:
 * with the header counted, the first of two rows read as "40%". Parsed, not split at the first
 * newline, since a quoted header cell may hold one (RFC 4180 §2.6). 0 when it cannot be read (the
 * import itself reports a malformed file).
 */
export function csvHeaderBytes(head: Buffer): number {
  try {
    const [first] = parseSync(head.subarray(0, 64 * 1024), {
      bom: true,
      to: 1,
      info: true,
    }) as unknown as Array<{
      info: { bytes: number };
    }>;
    return first?.info.bytes ?? 0;
  } catch {
    return 0;
  }
}
