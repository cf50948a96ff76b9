import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { testActionEngine } from '../../helpers/action-engine.js';
import { buildApi } from '../../../src/api/app.js';
import { importContactsCsv } from '../../../src/contacts/csv-import.js';
import type { Store } from '../../../src/store/store.js';
import { tempStore, testConfig } from '../../helpers/temp.js';

/** One table of numbers as people type them; `null` = refused by both. */
const TABLE: Array<[string, string | null]> = [
  ['+14155550123', '+14155550123'],
  ['+1 (415) 555-0123', '+14155550123'],
  ['020 7183 8750', '+442071838750'],
  ['0044 20 7183 8750', '+442071838750'],
  ['+33 1 44 55 66 77', '+33144556677'],
  ['+1234', null],
  ['+15555550100', null],
  ['+1234567890123456', null],
  ['0207 183', null],
  ['+44 20 7183 8750 ext 2', null],
  ['phone', null],
];

let api: FastifyInstance;
let apiStore: Store;
let importStore: Store;
let token: string;
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  const a = tempStore();
  const b = tempStore();
  cleanups.push(a.cleanup, b.cleanup);
  apiStore = a.store;
  importStore = b.store;
  const config = testConfig(a.dir, { contacts: { default_country: 'GB' } });
  api = await buildApi({ store: a.store, config, actionEngine: testActionEngine(a.store, config) });
  token = (await a.store.apiKeys.create('test')).token;
});
afterAll(async () => {
  await api.close();
  for (const c of cleanups.splice(0)) await c();
});

async function viaApi(
  phone: string,
): Promise<{ ok: boolean; stored?: string; body: Record<string, unknown> }> {
  const res = await api.inject({
    method: 'POST',
    url: '/contacts',
    headers: { authorization: `Bearer ${token}` },
    payload: { phone },
  });
  const body = JSON.parse(res.body) as Record<string, unknown>;
  if (res.statusCode === 201) {
    await apiStore.contacts.delete(String(body.id));
    return { ok: true, stored: String(body.phone), body };
  }
  expect(res.statusCode, res.body).toBe(400);
  return { ok: false, body };
}

async function viaImport(phone: string): Promise<{ ok: boolean; stored?: string }> {
  const cell = `"${phone.replace(/"/g, '""')}"`;
  const summary = await importContactsCsv(importStore, Readable.from([`phone\n${cell}\n`]), {
    defaultCountry: 'GB',
  });
  if (summary.rejected.length > 0) return { ok: false };
  const [contact] = await importStore.contacts.all();
  if (contact) await importStore.contacts.delete(contact.id);
  return { ok: true, stored: contact?.phone };
}

describe('the API and the CSV import apply one phone rule', () => {
  it.each(TABLE)('%j → %j through both', async (input, e164) => {
    const [a, i] = [await viaApi(input), await viaImport(input)];
    expect(a.ok).toBe(e164 !== null);
    expect(i.ok).toBe(e164 !== null);
    if (e164 !== null) {
      expect(a.stored).toBe(e164);
      expect(i.stored).toBe(e164);
    }
  });

  it('the API refuses +1234, which it used to accept while the import refused it', async () => {
    const res = await viaApi('+1234');
    expect(res.ok).toBe(false);
    expect(res.body.issues).toEqual([
      {
        field: 'body.phone',
        value: '+1234',
        expected: '+ and country code, e.g. +14155550123, or a national number for GB',
      },
    ]);
  });
});
